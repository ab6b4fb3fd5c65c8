"""KPI figure: one panel per rate, one line per team, months along the x axis."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

RATES = {"response_rate": "响应率 response", "resolution_rate": "办结率 resolution",
         "satisfaction_rate": "满意率 satisfaction", "on_time_rate": "按时办结率 on-time closure"}
PALETTE = ("#166534", "#1d4ed8", "#b45309", "#7c3aed", "#be123c", "#0f766e", "#a16207", "#9a3412", "#0369a1",
           "#6b7280", "#db2777", "#65a30d")


def kpi_figure(rows: list[dict[str, Any]], months: list[str]) -> go.Figure:
    """``rows`` from ``dispatch.kpi.kpis`` (teams in the order they come); rates as percentages, a missing rate (nothing to count) as a gap."""
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, vertical_spacing=0.12, horizontal_spacing=0.06,
                        subplot_titles=list(RATES.values()))
    teams = list(dict.fromkeys(r["team"] or "未交办" for r in rows))  # in the rows' order (by team id)
    for i, team in enumerate(teams):
        mine = {r["month"]: r for r in rows if (r["team"] or "未交办") == team}
        for j, rate in enumerate(RATES):
            y = [round(mine[m][rate] * 100, 1) if m in mine and mine[m][rate] is not None else None for m in months]
            fig.add_trace(go.Scatter(x=months, y=y, mode="lines+markers", name=team, legendgroup=team,
                                     showlegend=j == 0, line={"color": PALETTE[i % len(PALETTE)]},
                                     hovertemplate=f"{team} %{{x}}: %{{y}}%<extra></extra>"),
                          row=j // 2 + 1, col=j % 2 + 1)
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    fig.update_xaxes(type="category")
    fig.update_layout(height=520, margin={"l": 50, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h", "y": -0.08})
    return fig
