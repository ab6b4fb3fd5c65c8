"""The intake seat's page: register a complaint, see where it landed, fix what needs a person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.templating import Conn, page_role, templates
from envpetition import auth
from envpetition.errors import DomainError
from envpetition.runtime import local_now
from ingest import intake
from ingest.classify import CATEGORY_LABELS
from ingest.quarantine_view import open_quarantine

router = APIRouter(include_in_schema=False)
CHANNELS = {"12369": "12369 热线", "12345": "12345 热线", "visit": "来访", "letter": "来信", "api": "其他"}
CRS_CHOICES = {"": "WGS-84 (GPS)", "GCJ02": "GCJ-02 (高德/腾讯)", "BD09": "BD-09 (百度)"}
IntakeUser = Annotated[auth.User, Depends(page_role(auth.INTAKE))]


def _render(request: Request, conn: Any, user: auth.User, **extra: Any) -> Response:
    context = {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "channels": CHANNELS, "crs_choices": CRS_CHOICES,
        "category_labels": CATEGORY_LABELS, "quarantine": open_quarantine(conn, limit=50, unmasked=True),
        "form": {}, "result": None, "error": None, **extra,
    }
    return templates.TemplateResponse(request, "intake.html", context)


@router.get("/intake", response_class=HTMLResponse)
def intake_page(request: Request, conn: Conn, user: IntakeUser) -> Response:
    return _render(request, conn, user)


@router.post("/intake", response_class=HTMLResponse)
def register_complaint(
    request: Request, conn: Conn, user: IntakeUser,
    text: Annotated[str, Form()], channel: Annotated[str, Form()] = "12369",
    address: Annotated[str, Form()] = "", reported_party: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "", lat: Annotated[str, Form()] = "", crs: Annotated[str, Form()] = "",
) -> Response:
    """Register one complaint as the seat types it; a row that cannot be taken is quarantined, not lost."""
    form = {"text": text, "channel": channel, "address": address, "reported_party": reported_party, "name": name,
            "phone": phone, "lon": lon, "lat": lat, "crs": crs}
    payload = {key: value.strip() or None for key, value in form.items() if key != "channel"}
    try:
        result = intake.submit_complaint(conn, payload, channel=channel if channel in CHANNELS else "api",
                                         now=local_now(), actor=user.username, role=user.role)
    except DomainError as exc:
        return _render(request, conn, user, form=form, error=str(exc))
    return _render(request, conn, user, form={} if result.status != "quarantined" else form, result=result)
