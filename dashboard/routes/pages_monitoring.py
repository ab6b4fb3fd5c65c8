"""The monitoring staff's page: sensors on one chart with the map and roses, the odour incidents and accuracy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.monitoring_view import monitoring_context
from dashboard.templating import Conn, PageUser, templates
from envpetition import auth
from envpetition.errors import InvalidInput
from envpetition.localtime import LOCAL_TZ_NAME, as_local
from monitoring.incident_views import accuracy_by_month, list_incidents

router = APIRouter(include_in_schema=False)


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
    request: Request, conn: Conn, user: PageUser, sensor: Annotated[list[str] | None, Query()] = None,
    pollutant: str | None = None, start: str | None = None, end: str | None = None, bucket: str = "1 hour",
) -> Response:
    """Several sensors on one chart, the latest values on the map, wind and pollution roses, incidents."""
    context = monitoring_context(conn, request.app.state.settings, sensor_ids=sensor or [], pollutant=pollutant or None,
                                 start=_parse_local(start), end=_parse_local(end), bucket=bucket)
    return templates.TemplateResponse(request, "monitoring.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], **context,
        "incidents": list_incidents(conn, min_size=2, limit=30), "accuracy": accuracy_by_month(conn, LOCAL_TZ_NAME),
    })
