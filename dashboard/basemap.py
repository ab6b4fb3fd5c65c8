"""The shared base map: the city's own layers as a MapLibre style that needs nothing from the internet.

Every page map is a plotly figure of MapLibre traces (``go.Scattermap``, ``go.Choroplethmap``)
drawn over one base style built here. One line puts the base under any figure::

    from dashboard.basemap import apply_base, city_view
    apply_base(fig, base_source(conn), request.app.state.settings)                 # the whole city
    apply_base(fig, source, settings, view=focus_view(lon, lat, radius_m=1500))    # around a point

and the template draws it with the served helper (it makes the GeoJSON URL absolute, which
MapLibre's worker needs, and sets ``responsive``)::

    <script defer src="/assets/plotly.min.js"></script><script defer src="/static/basemap.js"></script>
    <link rel="stylesheet" href="/static/maps.css">
    <div id="map" class="map-box"></div>
    <script>addEventListener("DOMContentLoaded", () => plotMap("map", {{ figure | safe }}));</script>

(``defer``: the page's text paints before plotly.js is parsed.)

What the base holds, bottom to top: a plain background; the configured raster tiles
(``ENVPETITION_MAP_TILES_URL``: an XYZ/WMTS template, e.g. a provincial 天地图 node with its key or
the bureau's tile cache; CGCS2000/WGS-84 web-Mercator tiles, no GCJ-02 shift); the layers of a
configured vector-tile file (``ENVPETITION_MAP_VECTOR_TILES``, served by the app); then the city's
own GeoJSON layers served at ``/map/city.geojson``: districts, water, grids, roads, railways,
communities, enterprises, and labels (district, road, water and place names; community and
enterprise names once zoomed in).

Labels need no glyph server: the style has no ``glyphs`` URL, so MapLibre (6.x inside plotly.js
3) draws every character itself with the browser's own fonts (``FONT_STACK``), Chinese included.
plotly's named styles (``white-bg`` too) carry a public glyph URL and would fetch from it; a
``scattermap`` trace in ``mode="text"`` is drawn through the same style, so it is label-safe
here as well.

``hide`` leaves out base layers a page draws itself (the hotspot map fills communities with its
own choropleth: ``hide=("community-fill",)``). Layer ids are the keys of ``LAYER_IDS``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import psycopg
import shapely
from shapely.geometry import mapping

from envpetition.areas import current_areas
from envpetition.settings import Settings
from envpetition.views import current_map_features

CITY_URL = "/map/city.geojson"
VECTOR_TILES_URL = "/map/tiles/{z}/{x}/{y}.pbf"
FONT_STACK = ["Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei"]
BOLD_STACK = [f"{name} Bold" for name in FONT_STACK[:1]] + FONT_STACK
BACKGROUND = "#f3f1ec"
TEXT = "#292524"  # on a white halo: contrast 15:1
HALO = "rgba(255,255,255,0.92)"
TILE_PX = 512  # MapLibre counts zoom in 512 px tiles
COORD_DIGITS = 6  # ≈ 0.1 m: enough for a city map, a third of the JSON


@dataclass(frozen=True)
class MapView:
    """Where a map looks: centre and zoom (MapLibre web-Mercator zoom: the world is 512 px at zoom 0)."""

    lon: float
    lat: float
    zoom: float


@dataclass(frozen=True)
class BaseSource:
    """The city's base layers as one GeoJSON FeatureCollection, with a version for caching."""

    geojson: dict[str, Any]
    version: str
    bounds: tuple[float, float, float, float]  # west, south, east, north

    @property
    def url(self) -> str:
        return f"{CITY_URL}?v={self.version}"


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, COORD_DIGITS)
    if isinstance(obj, (list, tuple)):
        return [_round(o) for o in obj]
    return obj


def _feature(layer: str, name: str | None, geom: Any, **props: Any) -> dict[str, Any]:
    geo = mapping(geom)
    return {"type": "Feature", "properties": {"layer": layer, "name": name or "", **props},
            "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"])}}


def base_source(conn: psycopg.Connection[Any]) -> BaseSource:
    """Read the current areas and base-map features into one FeatureCollection.

    Examples
    --------
    >>> source = base_source(conn)  # doctest: +SKIP
    >>> sorted({f["properties"]["layer"] for f in source.geojson["features"]})  # doctest: +SKIP
    ['community', 'district', 'enterprise', 'grid', 'place', 'road', 'water']
    """
    city = current_areas(conn)
    features = [_feature(a.kind, a.name, a.geom, id=a.id) for a in city]
    features += [_feature(f.layer, f.name, f.geom, **{"class": f.attributes.get("class", "")})
                 for f in current_map_features(conn)]
    geojson = {"type": "FeatureCollection", "features": features}
    text = json.dumps(geojson, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # The city is its areas: a river or a road running out of town must not zoom every map out.
    shapes = [a.geom for a in city] or [shapely.geometry.shape(f["geometry"]) for f in features]
    bounds = tuple(shapely.total_bounds(shapes)) if shapes else (117.73, 30.88, 117.89, 31.00)
    return BaseSource(geojson=geojson, version=hashlib.sha1(text.encode()).hexdigest()[:12],
                      bounds=bounds)  # type: ignore[arg-type]


def city_view(bounds: tuple[float, float, float, float], *, width_px: int = 900, height_px: int = 560) -> MapView:
    """Centre and zoom that show ``bounds`` (west, south, east, north) in a map of the given size.

    Examples
    --------
    >>> view = city_view((117.72, 30.88, 117.90, 31.00))
    >>> round(view.lon, 2), round(view.lat, 2), round(view.zoom, 1)
    (117.81, 30.94, 11.3)
    """
    west, south, east, north = bounds

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_frac = max(east - west, 1e-6) / 360
    lat_frac = max(merc_y(north) - merc_y(south), 1e-9) / (2 * math.pi)
    zoom = min(math.log2(width_px / TILE_PX / lon_frac), math.log2(height_px / TILE_PX / lat_frac)) - 0.15
    centre_lat = math.degrees(2 * math.atan(math.exp((merc_y(north) + merc_y(south)) / 2)) - math.pi / 2)
    return MapView(lon=(west + east) / 2, lat=centre_lat, zoom=max(0.0, min(zoom, 18.0)))


def focus_view(lon: float, lat: float, *, radius_m: float = 1500, width_px: int = 700,
               height_px: int = 420) -> MapView:
    """A view centred on one point that shows ``radius_m`` around it.

    Examples
    --------
    >>> round(focus_view(117.81, 30.94, radius_m=1000).zoom, 1)
    13.6
    """
    dlat = radius_m / 111_320
    dlon = dlat / math.cos(math.radians(lat))
    return city_view((lon - dlon, lat - dlat, lon + dlon, lat + dlat), width_px=width_px, height_px=height_px)


def _is(layer: str) -> list[Any]:
    return ["==", ["get", "layer"], layer]


def _label(layer_id: str, where: list[Any], *, size: float, color: str = TEXT, minzoom: float = 0,
           maxzoom: float = 24, line: bool = False, bold: bool = False) -> dict[str, Any]:
    layout: dict[str, Any] = {"text-field": ["get", "name"], "text-font": BOLD_STACK if bold else FONT_STACK,
                              "text-size": size, "text-max-width": 8}
    if line:
        layout.update({"symbol-placement": "line", "symbol-spacing": 400, "text-letter-spacing": 0.3})
    return {"id": layer_id, "type": "symbol", "source": "city", "filter": where, "minzoom": minzoom,
            "maxzoom": maxzoom, "layout": layout,
            "paint": {"text-color": color, "text-halo-color": HALO, "text-halo-width": 1.6}}


def _city_layers() -> list[dict[str, Any]]:
    """The city's own layers, bottom to top."""
    road_width = ["interpolate", ["linear"], ["zoom"], 10, 1.2, 13, 3, 16, 9]
    casing_width = ["interpolate", ["linear"], ["zoom"], 10, 2.4, 13, 4.5, 16, 11]  # zoom only at the top level
    return [
        {"id": "district-fill", "type": "fill", "source": "city", "filter": _is("district"),
         "paint": {"fill-color": "#faf8f3"}},
        {"id": "water-fill", "type": "fill", "source": "city", "filter": _is("water"),
         "paint": {"fill-color": "#b6d6ef", "fill-outline-color": "#7fb0d9"}},
        {"id": "river-line", "type": "line", "source": "city", "filter": _is("river"),
         "paint": {"line-color": "#7fb0d9", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1.5, 16, 6]}},
        {"id": "grid-line", "type": "line", "source": "city", "filter": _is("grid"),
         "paint": {"line-color": "#a8a29e", "line-width": 1, "line-dasharray": [2, 2]}},
        {"id": "road-casing", "type": "line", "source": "city", "filter": _is("road"),
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": "#c8bfae", "line-width": casing_width}},
        {"id": "road-line", "type": "line", "source": "city", "filter": _is("road"),
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": "#fffdf5", "line-width": road_width}},
        {"id": "rail-line", "type": "line", "source": "city", "filter": _is("rail"),
         "paint": {"line-color": "#6b7280", "line-width": 1.5, "line-dasharray": [3, 2]}},
        {"id": "district-line", "type": "line", "source": "city", "filter": _is("district"),
         "paint": {"line-color": "#78716c", "line-width": 1.6}},
        {"id": "community-fill", "type": "fill", "source": "city", "filter": _is("community"),
         "paint": {"fill-color": "#e7dfd0", "fill-outline-color": "#a8a29e"}},
        {"id": "enterprise-fill", "type": "fill", "source": "city", "filter": _is("enterprise"),
         "paint": {"fill-color": "#dbe4f0", "fill-outline-color": "#1f4e79"}},
        {"id": "enterprise-line", "type": "line", "source": "city", "filter": _is("enterprise"),
         "paint": {"line-color": "#1f4e79", "line-width": 1}},
        {"id": "place-dot", "type": "circle", "source": "city",
         "filter": ["all", _is("place"), ["in", ["get", "class"], ["literal", ["station", "landmark"]]]],
         "paint": {"circle-radius": 3, "circle-color": "#44403c", "circle-stroke-color": "#ffffff",
                   "circle-stroke-width": 1}},
        _label("district-label", _is("district"), size=16, color="#57534e", maxzoom=12.5, bold=True),
        _label("road-label", _is("road"), size=12, color="#44403c", minzoom=11.5, line=True),
        _label("water-label", ["any", _is("water"), ["all", _is("place"), ["==", ["get", "class"], "water"]]],
               size=13, color="#1d4e89"),
        _label("place-label", ["all", _is("place"), ["!=", ["get", "class"], "water"]], size=12.5),
        _label("community-label", _is("community"), size=11, minzoom=12.8),
        _label("enterprise-label", _is("enterprise"), size=11, color="#1f4e79", minzoom=12.5),
    ]


LAYER_IDS = tuple(layer["id"] for layer in _city_layers())


def base_style(source: BaseSource, settings: Settings, *, hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """The MapLibre style (version 8, no ``glyphs``) with the tiles configured and the city's layers."""
    unknown = set(hide) - set(LAYER_IDS)
    if unknown:
        raise ValueError(f"unknown base layer(s) {sorted(unknown)}; ids are {', '.join(LAYER_IDS)}")
    sources: dict[str, Any] = {"city": {"type": "geojson", "data": source.url}}
    layers: list[dict[str, Any]] = [{"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}}]
    for n, url in enumerate(u for u in (settings.map_tiles_url, settings.map_label_tiles_url) if u):
        sources[f"raster{n}"] = {"type": "raster", "tiles": [url], "tileSize": 256, "maxzoom": 18,
                                 "attribution": settings.map_tiles_attribution}
        layers.append({"id": f"raster{n}", "type": "raster", "source": f"raster{n}"})
    if settings.map_vector_tiles is not None:
        from dashboard.vector_tiles import vector_layers

        sources["vector"] = {"type": "vector", "tiles": [VECTOR_TILES_URL], "maxzoom": 14}
        for layer_name in vector_layers(settings.map_vector_tiles):
            layers.append({"id": f"vector-{layer_name}", "type": "line", "source": "vector",
                           "source-layer": layer_name, "paint": {"line-color": "#a8a29e", "line-width": 0.8}})
    city = _city_layers()
    if settings.map_tiles_url:  # the tiles draw water, roads and land; keep the city's outlines and names
        city = [layer for layer in city if layer["id"] not in ("district-fill", "community-fill")]
    layers += [layer for layer in city if layer["id"] not in hide]
    return {"version": 8, "name": "envpetition-city", "sources": sources, "layers": layers}


def apply_base(fig: go.Figure, source: BaseSource, settings: Settings, *, view: MapView | None = None,
               hide: tuple[str, ...] = (), height: int = 560) -> go.Figure:
    """Put the city's base map under ``fig``'s map traces and look at ``view`` (default: the whole city).

    Examples
    --------
    >>> fig = go.Figure(go.Scattermap(lon=[117.81], lat=[30.94], mode="markers"))
    >>> src = BaseSource({"type": "FeatureCollection", "features": []}, "v1", (117.7, 30.9, 117.9, 31.0))
    >>> apply_base(fig, src, Settings()).layout.map.style["sources"]["city"]["data"]
    '/map/city.geojson?v=v1'
    """
    view = view or city_view(source.bounds, height_px=height)
    fig.update_layout(
        map={"style": base_style(source, settings, hide=hide), "center": {"lon": view.lon, "lat": view.lat},
             "zoom": view.zoom, "fitbounds": False},
        height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
        hoverlabel={"bgcolor": "white", "font": {"color": TEXT}},
    )
    return fig
