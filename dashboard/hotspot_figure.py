"""The hotspot map: plotly MapLibre traces on the ``white-bg`` style (no tiles, no internet).

Community polygons filled by Gi* class, smoothed rate or emerging pattern (a switch), the grid
cells outside communities, the complaint points, and a month slider for the Gi* classes.
The page puts the city's base map (dashboard/basemap.py) under it.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from analytics.trend import PATTERN_LABELS

GI_COLORS = ["#2166ac", "#67a9cf", "#d1e5f0", "#f2f2f2", "#fddbc7", "#ef8a62", "#b2182b"]  # -3 … 3
PATTERN_ORDER = list(PATTERN_LABELS)
PATTERN_COLORS = {"new_hot": "#fcae91", "consecutive_hot": "#fb6a4a", "intensifying_hot": "#a50f15",
                  "persistent_hot": "#de2d26", "diminishing_hot": "#fdd0a2", "sporadic_hot": "#f4a582",
                  "oscillating_hot": "#d6604d", "historical_hot": "#fee0d2", "no_pattern": "#f2f2f2"}
MODES = ("gi", "rate", "pattern")
HBAR = {"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.02, "yanchor": "top", "thickness": 10, "len": 0.9}


def _stepped(colors: list[str]) -> list[list[Any]]:
    """A colour scale with one flat band per integer class."""
    n = len(colors)
    scale: list[list[Any]] = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def _view(stats: dict[str, Any], geojson: dict[str, Any]) -> tuple[dict[str, float], float]:
    lons: list[float] = []
    lats: list[float] = []
    for f in geojson["features"]:
        coords = f["geometry"]["coordinates"]
        ring = coords[0] if f["geometry"]["type"] == "Polygon" else coords[0][0]
        lons += [p[0] for p in ring]
        lats += [p[1] for p in ring]
    for c in stats["cells"]:
        lons += [c["bounds"][0], c["bounds"][2]]
        lats += [c["bounds"][1], c["bounds"][3]]
    if not lons:
        return {"lon": 117.81, "lat": 30.94}, 11.0
    # MapLibre shows 360° in 512·2^zoom px; fit the extent into a map about 600 px across
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.2, 0.005)
    zoom = max(3.0, min(16.0, math.log2(360 * 600 / (512 * span))))
    return {"lon": (min(lons) + max(lons)) / 2, "lat": (min(lats) + max(lats)) / 2}, zoom


def hotspot_figure(stats: dict[str, Any], geojson: dict[str, Any], cells_geojson: dict[str, Any],
                   points: list[dict[str, Any]], *, mode: str = "gi",
                   height: int = 620) -> go.Figure:
    """The map figure for one filter (``mode``: gi | rate | pattern shown first)."""
    rows = stats["communities"]
    ids = [r["id"] for r in rows]
    hover = [f"<b>{r['name']}</b><br>投诉 {r['complaints']} 件 · 人口 {r['population'] or '未知'}<br>"
             f"千人投诉率 {r['raw_rate']} → EB {r['eb_rate']}<br>Gi* z={r['gi_z']} · {r['gi_label']}<br>"
             f"时空模式：{r['pattern_label']}" for r in rows]
    fig = go.Figure()
    first = len(fig.data)
    common = {"geojson": geojson, "locations": ids, "featureidkey": "id", "hovertext": hover, "hoverinfo": "text",
              "marker": {"line": {"width": 1, "color": "#555"}, "opacity": 0.85}}
    fig.add_trace(go.Choroplethmap(
        **common, z=[r["gi_class"] for r in rows], zmin=-3.5, zmax=3.5, colorscale=_stepped(GI_COLORS),
        name="Gi*", visible=mode == "gi",
        colorbar={**HBAR, "title": {"text": "Gi*", "side": "top"}, "tickvals": [-3, -2, -1, 0, 1, 2, 3],
                  "ticktext": ["冷99%", "冷95%", "冷90%", "不显著", "热90%", "热95%", "热99%"]}))
    fig.add_trace(go.Choroplethmap(
        **common, z=[r["eb_rate"] if r["eb_rate"] is not None else 0 for r in rows], colorscale="YlOrRd",
        name="rate", visible=mode == "rate", colorbar={**HBAR, "title": {"text": "EB 千人投诉率", "side": "top"}}))
    pattern_colors = [PATTERN_COLORS.get(p, "#9ecae1" if p.endswith("_cold") else "#f2f2f2") for p in PATTERN_ORDER]
    fig.add_trace(go.Choroplethmap(
        **common, z=[PATTERN_ORDER.index(r["pattern"]) for r in rows], zmin=-0.5, zmax=len(PATTERN_ORDER) - 0.5,
        colorscale=_stepped(pattern_colors), name="pattern", visible=mode == "pattern", showscale=False))
    cells = stats["cells"]
    if cells:
        fig.add_trace(go.Choroplethmap(
            geojson=cells_geojson, locations=[c["id"] for c in cells], featureidkey="id",
            z=[c["gi_class"] for c in cells], zmin=-3.5, zmax=3.5, colorscale=_stepped(GI_COLORS), showscale=False,
            marker={"opacity": 0.45, "line": {"width": 0.5, "color": "#999"}}, name="网格 grid",
            hovertext=[f"网格 {c['cell_m']:.0f} m · 小区外投诉 {c['complaints']} 件 · {c['gi_label']}" for c in cells],
            hoverinfo="text"))
    if points:
        fig.add_trace(go.Scattermap(
            lon=[p["lon"] for p in points], lat=[p["lat"] for p in points], mode="markers", name="投诉点 complaints",
            marker={"size": 5, "color": "#1f2937", "opacity": 0.6},
            hovertext=[f"{p['received_at']:%Y-%m-%d %H:%M} · {p['channel']} · {'、'.join(p['categories'])}"
                       for p in points], hoverinfo="text"))
    center, zoom = _view(stats, geojson)
    n = len(fig.data)
    visible = [[True] * first + [m == k for k in MODES] + [True] * (n - first - 3) for m in MODES]
    fig.update_layout(
        map={"style": "white-bg", "center": center, "zoom": zoom}, height=height,
        margin={"l": 0, "r": 0, "t": 36, "b": 110 if len(stats["steps"]) > 1 else 50}, showlegend=False,
        updatemenus=[{"type": "buttons", "direction": "right", "x": 0, "y": 1.0, "xanchor": "left", "yanchor": "bottom",
                      "showactive": True, "active": MODES.index(mode) if mode in MODES else 0,
                      "buttons": [{"label": label, "method": "update", "args": [{"visible": vis}]}
                                  for label, vis in zip(("Gi* 类别", "千人投诉率", "时空模式"), visible, strict=True)]}],
        sliders=_month_slider(stats, first) if rows and len(stats["steps"]) > 1 else [])
    return fig


def _month_slider(stats: dict[str, Any], trace: int) -> list[dict[str, Any]]:
    """Month by month Gi* classes of the communities (the Gi* layer), ending with the chosen period."""
    rows = stats["communities"]
    steps = [{"label": key, "method": "restyle", "args": [{"z": [[r["monthly_classes"][t] for r in rows]]}, [trace]]}
             for t, key in enumerate(stats["steps"])]
    steps.append({"label": "本期", "method": "restyle", "args": [{"z": [[r["gi_class"] for r in rows]]}, [trace]]})
    return [{"active": len(steps) - 1, "currentvalue": {"prefix": "Gi* 月份 "}, "pad": {"t": 4, "b": 4},
             "steps": steps, "len": 1.0, "x": 0, "y": -0.16, "yanchor": "top"}]
