"""The monitoring staff's page: one sensor's readings over a time window."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.series_figure import sensor_figure
from dashboard.templating import Conn, PageUser, templates
from envpetition import auth
from envpetition.errors import InvalidInput
from envpetition.localtime import LOCAL_TZ_NAME, as_local
from monitoring.incident_views import accuracy_by_month, list_incidents
from monitoring.queries import bucketed, span
from monitoring.sensors import list_sensors

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
        "incidents": list_incidents(conn, min_size=2, limit=30), "accuracy": accuracy_by_month(conn, LOCAL_TZ_NAME),
    })
