"""Time-series figure of one sensor's readings, one panel per pollutant."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots


def sensor_figure(rows: list[dict[str, Any]], units: dict[str, str]) -> go.Figure:
    """Bucket averages as lines, bucket maxima as a light band above them.

    Hourly and daily HJ 212 averages are stored as ``code:1h`` / ``code:1d``; they share the code's unit.
    """
    pollutants = sorted({r["pollutant"] for r in rows})
    fig = make_subplots(rows=max(len(pollutants), 1), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[f"{p} ({units.get(p.split(':')[0], '')})" for p in pollutants])
    for i, pollutant in enumerate(pollutants, start=1):
        mine = [r for r in rows if r["pollutant"] == pollutant]
        x = [r["bucket"] for r in mine]
        fig.add_trace(go.Scatter(x=x, y=[r["peak"] for r in mine], mode="lines", line={"width": 0.5, "color": "#fca5a5"},
                                 name=f"{pollutant} max", showlegend=False), row=i, col=1)
        fig.add_trace(go.Scatter(x=x, y=[r["value"] for r in mine], mode="lines", line={"color": "#166534"},
                                 name=f"{pollutant} avg", showlegend=False), row=i, col=1)
    fig.update_layout(height=max(260, 190 * len(pollutants)), margin={"l": 50, "r": 10, "t": 30, "b": 30})
    return fig


def trace_figure(panels: list[tuple[str, str, list[dict[str, Any]]]], at: Any) -> go.Figure:
    """One panel per nearby monitor ``(title, pollutant, rows with ts/value)``; a red line at the complaint."""
    fig = make_subplots(rows=max(len(panels), 1), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[title for title, _, _ in panels])
    for i, (_, pollutant, rows) in enumerate(panels, start=1):
        fig.add_trace(go.Scatter(x=[r["ts"] for r in rows], y=[r["value"] for r in rows], mode="lines",
                                 line={"color": "#166534"}, name=pollutant, showlegend=False), row=i, col=1)
        fig.add_shape(type="line", x0=at, x1=at, y0=0, y1=1, yref=f"y{'' if i == 1 else i} domain",
                      line={"color": "#b91c1c", "dash": "dash"}, row=i, col=1)
    fig.update_layout(height=max(240, 170 * len(panels)), margin={"l": 50, "r": 10, "t": 30, "b": 30})
    return fig
