// Draw a plotly figure whose map uses the city's base style (dashboard/basemap.py).
// Load this and plotly.min.js with "defer" and call plotMap from a DOMContentLoaded listener.
// MapLibre loads GeoJSON and tiles in a web worker, which needs absolute URLs: make them so.
function plotMap(id, fig, config) {
  const abs = (u) => (typeof u === "string" && u.startsWith("/") ? window.location.origin + u : u);
  const style = fig.layout && fig.layout.map && fig.layout.map.style;
  if (style && typeof style === "object" && style.sources) {
    for (const src of Object.values(style.sources)) {
      if (src.data) src.data = abs(src.data);
      if (src.tiles) src.tiles = src.tiles.map(abs);
    }
  }
  return Plotly.newPlot(id, fig.data, fig.layout,
    Object.assign({responsive: true, displaylogo: false, scrollZoom: true}, config || {}));
}
