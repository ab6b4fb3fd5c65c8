"""The trace map (plotly MapLibre ``scattermap``; the page puts the city's base map under it) and CPF polar plots.

Layers, bottom to top: the incident's hull, back-trajectories, the top candidates' plumes, monitors
(red when they rose above their background), walk-navigation peaks, complaints, candidates ranked.
The city's base layers are drawn by the shared map code; this figure adds the trace's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

SECTOR_LABELS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
PLUME_COLOURS = ["rgba(220,38,38,0.18)", "rgba(234,88,12,0.14)", "rgba(202,138,4,0.12)"]


def _lines(items: list[dict[str, Any]]) -> tuple[list[float | None], list[float | None]]:
    lon: list[float | None] = []
    lat: list[float | None] = []
    for it in items:
        lon += [*it["lon"], None]
        lat += [*it["lat"], None]
    return lon, lat


def trace_map(trace: dict[str, Any]) -> go.Figure:
    """The map of one trace."""
    fig = go.Figure()
    hull = trace["hull"]
    fig.add_trace(go.Scattermap(lon=hull["lon"], lat=hull["lat"], mode="lines", fill="toself",
                                fillcolor="rgba(37,99,235,0.10)", line={"color": "#2563eb", "width": 1},
                                name="事件范围 incident hull", hoverinfo="skip"))
    lon, lat = _lines(trace["trajectories"])
    fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="lines", line={"color": "#64748b", "width": 1},
                                name="后向轨迹 back-trajectories", hoverinfo="skip"))
    for k, pl in enumerate(trace["plumes"]):
        fig.add_trace(go.Scattermap(lon=pl["lon"], lat=pl["lat"], mode="lines", fill="toself",
                                    fillcolor=PLUME_COLOURS[k % len(PLUME_COLOURS)], line={"width": 0},
                                    name=f"烟羽 plume {pl['name']}（{pl['stability']}）", hoverinfo="name"))
    mons = trace["monitors"]
    if mons:
        fig.add_trace(go.Scattermap(
            lon=[m["lon"] for m in mons], lat=[m["lat"] for m in mons], mode="markers",
            marker={"size": 11, "color": ["#dc2626" if m["anomaly"] else "#0f766e" for m in mons]},
            text=[f"{m['sensor_id']} {m['pollutant']} z={m['z']}" for m in mons], hoverinfo="text",
            name="监测点 monitors（红=异常 red = anomaly）"))
    if trace["peaks"]:
        pk = trace["peaks"]
        fig.add_trace(go.Scattermap(lon=[p["lon"] for p in pk], lat=[p["lat"] for p in pk], mode="markers",
                                    marker={"size": 9, "color": "#9333ea"}, hoverinfo="text",
                                    text=[f"{p['sensor_id']} {p['pollutant']} {p['value']:g}/{p['background']:g}" for p in pk],
                                    name="走航峰值 walk-navigation peaks"))
    comps = trace["complaints"]
    fig.add_trace(go.Scattermap(lon=[c["lon"] for c in comps], lat=[c["lat"] for c in comps], mode="markers",
                                marker={"size": 7, "color": "#1d4ed8"}, hoverinfo="text",
                                text=[f"{str(c['received_at'])[:16]} {'、'.join(c['descriptors'])}" for c in comps],
                                name="投诉 complaints"))
    cands = trace["candidates"]
    if cands:
        fig.add_trace(go.Scattermap(
            lon=[c["lon"] for c in cands], lat=[c["lat"] for c in cands], mode="markers+text",
            marker={"size": [16 if c["rank"] <= 3 else 10 for c in cands],
                    "color": ["#b91c1c" if c["rank"] == 1 else "#f97316" if c["rank"] <= 3 else "#94a3b8" for c in cands]},
            text=[f"{c['rank']}. {c['name']}" for c in cands], textposition="top right",
            hovertext=[f"{c['name']} · {c['industry'] or ''} · {c['score']:+.2f}" for c in cands], hoverinfo="text",
            name="候选企业 candidates"))
    lons = [v for v in hull["lon"]] + [c["lon"] for c in cands[:3]]
    lats = [v for v in hull["lat"]] + [c["lat"] for c in cands[:3]]
    span = max(max(lons) - min(lons), max(lats) - min(lats), 0.01)
    zoom = float(np.clip(np.log2(360.0 / span) - 1.2, 6, 15))
    fig.update_layout(map={"style": "white-bg", "center": {"lon": (max(lons) + min(lons)) / 2,
                                                           "lat": (max(lats) + min(lats)) / 2}, "zoom": zoom},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=560,
                      legend={"bgcolor": "rgba(255,255,255,0.8)", "x": 0, "y": 1})
    return fig


def cpf_polar(trace: dict[str, Any], top: int = 4) -> go.Figure | None:
    """Conditional probability by wind sector of the monitors that matter most (anomalies first)."""
    with_cpf = [m for m in trace["monitors"] if m["cpf"]]
    if not with_cpf:
        return None
    with_cpf.sort(key=lambda m: -(m["z"] or 0))
    fig = go.Figure()
    for m in with_cpf[:top]:
        fig.add_trace(go.Barpolar(r=[v or 0 for v in m["cpf"]], theta=SECTOR_LABELS, opacity=0.6,
                                  name=f"{m['sensor_id']} {m['pollutant']}"))
    fig.update_layout(polar={"angularaxis": {"direction": "clockwise", "rotation": 90},
                             "radialaxis": {"range": [0, 1]}},
                      height=360, margin={"l": 30, "r": 30, "t": 30, "b": 30},
                      title={"text": "风向条件概率 CPF（高值出现时的来风方向）", "font": {"size": 13}})
    return fig
