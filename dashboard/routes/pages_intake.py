"""The intake seat's page: register a complaint, see where it landed, fix what needs a person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard.templating import Conn, page_role, templates
from envpetition import auth
from envpetition.errors import DomainError
from envpetition.runtime import local_now
from ingest import corrections, intake, label_view
from ingest.classify import CATEGORY_LABELS
from ingest.quarantine_view import open_quarantine_for

router = APIRouter(include_in_schema=False)
CHANNELS = {"12369": "12369 热线", "12345": "12345 热线", "visit": "来访", "letter": "来信", "api": "其他"}
CRS_CHOICES = {"": "WGS-84 (GPS)", "GCJ02": "GCJ-02 (高德/腾讯)", "BD09": "BD-09 (百度)"}
IntakeUser = Annotated[auth.User, Depends(page_role(auth.INTAKE))]
LabelUser = Annotated[auth.User, Depends(page_role(auth.OFFICE))]


def _render(request: Request, conn: Any, user: auth.User, **extra: Any) -> Response:
    context = {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "channels": CHANNELS, "crs_choices": CRS_CHOICES,
        "category_labels": CATEGORY_LABELS,
        "quarantine": open_quarantine_for(conn, limit=50, user_id=user.id, username=user.username, role=user.role,
                                          unmasked=True, now=local_now(), view="intake page"),
        "form": {}, "result": None, "error": None, "why": None, "choices": label_view.form_choices(), **extra,
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
    why = label_view.explain_complaints(conn, [result.complaint_id]).get(result.complaint_id) if result.complaint_id else None
    return _render(request, conn, user, form={} if result.status != "quarantined" else form, result=result, why=why)


@router.get("/intake/complaints/{complaint_id}", response_class=HTMLResponse)
def intake_complaint(request: Request, conn: Conn, user: IntakeUser, complaint_id: int, saved: int = 0) -> Response:
    """A registered complaint's labels with the reasons, and the correction form."""
    why = label_view.explain_complaints(conn, [complaint_id]).get(complaint_id)
    if why is None:
        return _render(request, conn, user, error=f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
    return _render(request, conn, user, why=why, saved=bool(saved))


@router.post("/complaints/{complaint_id}/labels")
def correct_labels(
    request: Request, conn: Conn, user: LabelUser, complaint_id: int,
    categories: Annotated[list[str] | None, Form()] = None, priority: Annotated[str, Form()] = "normal",
    note: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "",
) -> Response:
    """Store an operator's correction (intake seat or case page), then go back to the page it came from."""
    target = back if back.startswith("/cases/") and back.removeprefix("/cases/").isdigit() else (
        f"/intake/complaints/{complaint_id}")
    try:
        corrections.record_correction(conn, complaint_id, categories=categories or [], priority=priority,
                                      actor=user.username, now=local_now(), note=note.strip() or None)
    except DomainError as exc:
        if target.startswith("/cases/"):
            return RedirectResponse(f"{target}?label_error={exc}", status_code=303)
        why = label_view.explain_complaints(conn, [complaint_id]).get(complaint_id)
        return _render(request, conn, user, why=why, error=str(exc))
    return RedirectResponse(f"{target}?saved=1" if not target.startswith("/cases/") else f"{target}?labelled={complaint_id}",
                            status_code=303)
