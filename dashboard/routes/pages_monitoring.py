"""The monitoring staff's pages: sensors on one chart with map and roses; the pollution trace of a case."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.monitoring_view import monitoring_context
from dashboard.series_figure import trace_figure
from dashboard.templating import Conn, PageUser, templates
from envpetition import auth
from envpetition.errors import InvalidInput
from envpetition.runtime import LOCAL_TZ
from monitoring.queries import series
from monitoring.trace import case_trace

router = APIRouter(include_in_schema=False)


def _parse_local(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"时间格式错误 / bad time {value!r}; use YYYY-MM-DDTHH:MM") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(
    request: Request, conn: Conn, user: PageUser, sensor: Annotated[list[str] | None, Query()] = None,
    pollutant: str | None = None, start: str | None = None, end: str | None = None, bucket: str = "1 hour",
) -> Response:
    """Several sensors on one chart, the latest values on the map, wind and pollution roses."""
    context = monitoring_context(conn, request.app.state.settings, sensor_ids=sensor or [], pollutant=pollutant or None,
                                 start=_parse_local(start), end=_parse_local(end), bucket=bucket)
    return templates.TemplateResponse(request, "monitoring.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], **context})


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
