"""The monitoring staff's page: one sensor's readings over a time window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.series_figure import sensor_figure, trace_figure
from dashboard.templating import Conn, PageUser, templates
from envpetition import auth
from envpetition.errors import InvalidInput
from envpetition.localtime import as_local
from monitoring.queries import bucketed, series, span
from monitoring.sensors import list_sensors
from monitoring.trace import case_trace

router = APIRouter(include_in_schema=False)
BUCKETS = {"1 minute": "1 分钟", "10 minutes": "10 分钟", "1 hour": "1 小时", "1 day": "1 天"}


def _parse_local(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"时间格式错误 / bad time {value!r}; use YYYY-MM-DDTHH:MM") from exc
    return as_local(parsed)


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(
    request: Request, conn: Conn, user: PageUser, sensor: str | None = None,
    start: str | None = None, end: str | None = None, bucket: str = "1 hour",
) -> Response:
    if bucket not in BUCKETS:
        raise InvalidInput(f"bucket must be one of {', '.join(BUCKETS)}")
    all_sensors = list_sensors(conn)
    chosen = next((s for s in all_sensors if s["id"] == sensor), all_sensors[0] if all_sensors else None)
    figure = None
    t0, t1 = _parse_local(start), _parse_local(end)
    if chosen is not None:
        first, last = span(conn, chosen["id"])
        t1 = t1 or (last + timedelta(seconds=1) if last else None)
        t0 = t0 or (max(first, t1 - timedelta(days=7)) if first and t1 else None)
        if t0 and t1:
            rows = bucketed(conn, chosen["id"], t0, t1, bucket)
            figure = sensor_figure(rows, dict(zip(chosen["pollutants"], chosen["units"], strict=False))).to_json()
    return templates.TemplateResponse(request, "monitoring.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "sensors": all_sensors, "chosen": chosen,
        "figure": figure, "start": t0, "end": t1, "bucket": bucket, "buckets": BUCKETS,
    })


TRACE_PANELS = 4  # the nearest monitors shown as time series


def _panel_pollutant(sensor: dict[str, Any], exceeded: set[tuple[str, str]]) -> str | None:
    """The pollutant worth plotting: one that exceeded its limit here, else the first the monitor measures."""
    for code in sensor["pollutants"]:
        if (sensor["id"], code) in exceeded:
            return str(code)
    return str(sensor["pollutants"][0]) if sensor["pollutants"] else None


@router.get("/cases/{case_id}/trace", response_class=HTMLResponse)
def trace_page(request: Request, case_id: int, conn: Conn, user: PageUser) -> Response:
    """The pollution trace of a case: wind, nearby monitors around the complaint, ranked candidate sources."""
    trace = case_trace(conn, case_id)
    if trace is None:
        raise HTTPException(404, f"案件 {case_id} 不存在 / no case {case_id}")
    exceeded = {(e["sensor_id"], e["pollutant"].split(":")[0]) for e in trace["exceedances"]}
    panels = []
    for sensor in trace["sensors"][:TRACE_PANELS]:
        code = _panel_pollutant(sensor, exceeded)
        if code:
            rows = series(conn, sensor["id"], code, trace["start"], trace["end"], "1m")
            if not rows:  # outside the minute-data windows: the hourly averages
                rows = series(conn, sensor["id"], f"{code}:1h", trace["start"], trace["end"], "raw")
            panels.append((f"{sensor['id']} {sensor['name']} · {code} · {sensor['distance_m']:.0f} m", code, rows))
    figure = trace_figure(panels, trace["case"]["opened_at"]).to_json() if panels else None
    return templates.TemplateResponse(request, "trace.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "trace": trace, "figure": figure,
    })
