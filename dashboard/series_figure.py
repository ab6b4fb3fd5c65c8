"""Time-series figure of the trace page: one panel per nearby monitor."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots


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
