"""Figures of the monitoring page: several sensors on one chart, wind and pollution roses, the sensor map."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.basemap import BaseSource, apply_base, city_view
from envpetition.settings import Settings
from monitoring.pollutants import pollutant_label, pollutant_name, pollutant_table, unit_symbol
from monitoring.roses import SECTORS_EN, SECTORS_ZH, PollutionRose, WindRose, sector_centres

# Colour-blind-safe line colours (Okabe–Ito, darkened for 3:1 against white).
LINE_COLORS = ["#0b6e99", "#c2410c", "#047857", "#9d174d", "#6d28d9", "#854d0e", "#1e3a8a", "#525252"]
SPEED_COLORS = ["#c6dbef", "#6baed6", "#2171b5", "#08519c", "#08306b", "#03142e"]
VALUE_SCALE = "YlOrRd"
FONT = {"family": '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif', "color": "#1d2733"}


def _decimals(code: str) -> int:
    known = pollutant_table().get(code.split(":")[0])
    return known.decimals if known else 2


def multi_sensor_figure(rows: list[dict[str, Any]], sensors: dict[str, dict[str, Any]], code: str,
                        unit: str | None) -> go.Figure:
    """One line per sensor (bucket means); hover shows the bucket peak too."""
    fig = go.Figure()
    digits = _decimals(code)
    for n, sensor_id in enumerate(sensors):
        mine = [r for r in rows if r["sensor_id"] == sensor_id]
        if not mine:
            continue
        fig.add_trace(go.Scatter(
            x=[r["bucket"] for r in mine], y=[r["value"] for r in mine], mode="lines",
            name=f"{sensor_id} {sensors[sensor_id]['name']}", line={"color": LINE_COLORS[n % len(LINE_COLORS)], "width": 2},
            customdata=[r["peak"] for r in mine],
            hovertemplate=f"%{{x|%m-%d %H:%M}}<br>均值 mean %{{y:.{digits}f}}<br>最大 max %{{customdata:.{digits}f}}"
                          f"<extra>{sensor_id}</extra>"))
    fig.update_layout(
        height=360, margin={"l": 56, "r": 8, "t": 8, "b": 40}, font=FONT, plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.18, "x": 0}, hovermode="x unified",
        yaxis={"title": {"text": pollutant_label(code, unit)}, "gridcolor": "#e5e7eb", "zeroline": False},
        xaxis={"gridcolor": "#e5e7eb", "tickformat": "%m-%d\n%H:%M"},
    )
    return fig


def _polar_layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 14}, "x": 0.02}, font=FONT, height=340,
        margin={"l": 30, "r": 30, "t": 44, "b": 24}, showlegend=True,
        legend={"font": {"size": 11}, "orientation": "h", "y": -0.12},
        polar={"angularaxis": {"direction": "clockwise", "rotation": 90, "tickfont": {"size": 11},
                               "tickmode": "array", "tickvals": sector_centres(8),
                               "ticktext": [f"{SECTORS_ZH[i]} {SECTORS_EN[i]}" for i in range(0, 16, 2)]},
               "radialaxis": {"angle": 90, "tickangle": 90, "nticks": 4, "tickfont": {"size": 9},
                              "gridcolor": "#d4d4d4"},
               "bgcolor": "#ffffff"},
    )
    return fig


def wind_rose_figure(rose: WindRose, title: str) -> go.Figure:
    """Stacked bars per sector: share of hours (%) in each wind-speed class."""
    fig = go.Figure()
    for klass, share, color in zip(rose.classes, rose.frequency, SPEED_COLORS, strict=False):
        fig.add_trace(go.Barpolar(r=share, theta=sector_centres(), width=22.5, name=klass, marker={"color": color},
                                  customdata=rose.sectors,
                                  hovertemplate="%{customdata}: %{r:.1f}%<extra>" + klass + "</extra>"))
    fig.update_layout(barmode="stack")
    return _polar_layout(fig, f"{title}<br><sup>风玫瑰 wind rose · {rose.hours} 小时 h · 静风 calm {rose.calm_pct:.0f}%</sup>")


def pollution_rose_figure(rose: PollutionRose, title: str, code: str, unit: str | None) -> go.Figure:
    """Mean concentration by the sector the wind came from: which way the pollution arrives."""
    digits = _decimals(code)
    values = [v if v is not None else 0 for v in rose.mean]
    fig = go.Figure(go.Barpolar(
        r=values, theta=sector_centres(), width=22.5, customdata=list(zip(rose.sectors, rose.hours, strict=True)),
        name=pollutant_name(code, english=False),
        marker={"color": values, "colorscale": VALUE_SCALE, "line": {"color": "#7c2d12", "width": 0.5}},
        hovertemplate=f"%{{customdata[0]}}: %{{r:.{digits}f}} {unit_symbol(unit)}<br>%{{customdata[1]}} 小时 h"
                      "<extra></extra>"))
    fig = _polar_layout(fig, f"{title}<br><sup>污染玫瑰 pollution rose · {pollutant_label(code, unit)}</sup>")
    fig.update_layout(showlegend=False)
    return fig


def sensor_map(sensors: list[dict[str, Any]], latest: dict[str, dict[str, Any]], code: str, unit: str | None,
               source: BaseSource, settings: Settings, chosen: set[str]) -> go.Figure:
    """Every located sensor on the base map; those measuring ``code`` coloured by their latest value."""
    digits = _decimals(code)
    located = [s for s in sensors if s.get("lon") is not None and s.get("lat") is not None]
    valued = [s for s in located if s["id"] in latest]
    others = [s for s in located if s["id"] not in latest]
    fig = go.Figure()
    if others:
        fig.add_trace(go.Scattermap(
            lon=[s["lon"] for s in others], lat=[s["lat"] for s in others], mode="markers", name="其他监测点",
            marker={"size": 9, "color": "#78716c"}, hoverinfo="text",
            text=[f"{s['id']} {s['name']}<br>不测 {pollutant_name(code, english=False)}" for s in others]))
    if valued:
        # A dark, slightly larger circle under each marker: MapLibre circles here have no outline.
        fig.add_trace(go.Scattermap(
            lon=[s["lon"] for s in valued], lat=[s["lat"] for s in valued], mode="markers", hoverinfo="skip",
            marker={"size": [22 if s["id"] in chosen else 17 for s in valued], "color": "#1c1917"}))
        values = [latest[s["id"]]["value"] for s in valued]
        fig.add_trace(go.Scattermap(
            lon=[s["lon"] for s in valued], lat=[s["lat"] for s in valued], mode="markers", name="最新值",
            marker={"size": [18 if s["id"] in chosen else 13 for s in valued], "color": values,
                    "colorscale": VALUE_SCALE, "showscale": True,
                    "colorbar": {"title": {"text": unit_symbol(unit)}, "thickness": 10, "len": 0.6, "x": 0.99,
                                 "bgcolor": "rgba(255,255,255,0.85)"}},
            hoverinfo="text",
            text=[f"{s['id']} {s['name']}<br>{pollutant_name(code, english=False)} "
                  f"{latest[s['id']]['value']:.{digits}f} {unit_symbol(unit)}<br>"
                  f"{latest[s['id']]['ts']:%Y-%m-%d %H:%M}" for s in valued]))
    return apply_base(fig, source, settings, view=city_view(source.bounds, width_px=560, height_px=420), height=420)
