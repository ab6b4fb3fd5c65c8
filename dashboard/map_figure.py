"""The hotspot map as a plotly figure drawn from polygons alone.

No tile server: bureau intranets have no internet, so the map is the bureau's own polygons on
longitude/latitude axes with the aspect ratio fixed for Tongling's latitude.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from shapely.geometry.base import BaseGeometry

COLORSCALE = "YlOrRd"
KIND_LABELS = {"community": "小区", "enterprise": "企业", "grid": "网格", "district": "区"}


def _rings(geom: BaseGeometry) -> tuple[list[float | None], list[float | None]]:
    """Exterior rings of a (multi)polygon as one trace's x/y with None separators."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    parts = getattr(geom, "geoms", [geom])
    for part in parts:
        x, y = part.exterior.xy
        xs += [*x, None]
        ys += [*y, None]
    return xs, ys


def hotspot_map(areas: list[dict[str, Any]]) -> go.Figure:
    """Communities and enterprises filled by complaint count; grids as outlines for orientation."""
    fig = go.Figure()
    counted = [a for a in areas if a["kind"] in ("community", "enterprise")]
    top = max([a["complaints"] for a in counted] + [1])
    for area in [a for a in areas if a["kind"] == "grid"]:
        xs, ys = _rings(area["geom"])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#9aa5b1", "width": 1, "dash": "dot"},
                                 hoverinfo="text", text=f"{area['name']}", showlegend=False))
    for area in counted:
        xs, ys = _rings(area["geom"])
        color = sample_colorscale(COLORSCALE, [area["complaints"] / top])[0]
        edge = "#1f4e79" if area["kind"] == "enterprise" else "#555"
        label = f"{area['name']}（{KIND_LABELS[area['kind']]}）<br>投诉 {area['complaints']} 件"
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", fillcolor=color, mode="lines",
                                 line={"color": edge, "width": 2 if area["kind"] == "enterprise" else 1},
                                 hoveron="fills", hoverinfo="text", text=label, name=area["name"],
                                 showlegend=False))
    # A scatter that only carries the colour bar.
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                             marker={"colorscale": COLORSCALE, "cmin": 0, "cmax": top, "color": [0],
                                     "colorbar": {"title": {"text": "投诉数"}, "thickness": 12}}))
    lat0 = sum(a["geom"].centroid.y for a in counted) / len(counted) if counted else 30.94
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / math.cos(math.radians(lat0)), title="纬度 lat")
    fig.update_xaxes(title="经度 lon")
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 40}, height=560, plot_bgcolor="#f4f6f8",
                      hoverlabel={"bgcolor": "white"})
    return fig
