"""A community's charts: monthly complaints by category (stacked) and a calendar heatmap of days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go


def monthly_by_category(profile: dict[str, Any]) -> go.Figure:
    """Stacked bars: one per month, one colour per category (multi-label: a complaint counts in each)."""
    fig = go.Figure()
    labels = sorted({r["label"] for r in profile["monthly"]})
    for label in labels:
        counts = {r["month"]: r["n"] for r in profile["monthly"] if r["label"] == label}
        fig.add_trace(go.Bar(x=profile["steps"], y=[counts.get(m, 0) for m in profile["steps"]], name=label))
    fig.update_layout(barmode="stack", height=300, margin={"l": 40, "r": 10, "t": 10, "b": 40},
                      legend={"orientation": "h", "y": -0.25}, yaxis_title="件数",
                      xaxis={"type": "category"})
    return fig


def calendar_heatmap(profile: dict[str, Any]) -> go.Figure:
    """Weeks across, weekdays down, colour = complaints that day."""
    counts = {date.fromisoformat(r["day"]): r["n"] for r in profile["daily"]}
    first = date.fromisoformat(profile["steps"][0] + "-01")
    last = max([*counts, first])
    start = first - timedelta(days=first.weekday())
    weeks = (last - start).days // 7 + 1
    z = [[None] * weeks for _ in range(7)]
    text = [[""] * weeks for _ in range(7)]
    for i in range((last - start).days + 1):
        day = start + timedelta(days=i)
        if day < first:
            continue
        z[day.weekday()][i // 7] = counts.get(day, 0)
        text[day.weekday()][i // 7] = f"{day:%Y-%m-%d}: {counts.get(day, 0)} 件"
    x = [(start + timedelta(weeks=w)).strftime("%m-%d") for w in range(weeks)]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=["一", "二", "三", "四", "五", "六", "日"], text=text, hoverinfo="text",
                               colorscale="Reds", xgap=2, ygap=2, colorbar={"thickness": 10}))
    fig.update_layout(height=230, margin={"l": 30, "r": 10, "t": 10, "b": 30}, yaxis={"autorange": "reversed"},
                      xaxis={"type": "category", "nticks": 12})
    return fig
