"""The intake seat's page: a phone call typed without a mouse, open cases nearby, the rows that need a person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard.templating import Conn, page_role, templates
from envpetition import auth
from envpetition.errors import DomainError, InvalidInput
from envpetition.runtime import local_now
from ingest import corrections, intake, label_view
from ingest.classify import CATEGORY_LABELS
from ingest.quarantine_view import open_quarantine_for, readable
from ingest.suggest import suggest_cases

router = APIRouter(include_in_schema=False)
CHANNELS = {"12369": "12369 热线", "12345": "12345 热线", "visit": "来访", "letter": "来信", "api": "其他"}
CRS_CHOICES = {"": "WGS-84 (GPS)", "GCJ02": "GCJ-02 (高德/腾讯)", "BD09": "BD-09 (百度)"}
IntakeUser = Annotated[auth.User, Depends(page_role(auth.INTAKE))]
LabelUser = Annotated[auth.User, Depends(page_role(auth.OFFICE))]
QUARANTINE_SHOWN = 50


def _float(value: str) -> float | None:
    """A typed coordinate; empty is None, anything else that is not a number is refused."""
    try:
        return float(value) if value.strip() else None
    except ValueError as exc:
        raise InvalidInput(f"坐标应为数字 / a coordinate must be a number, got {value!r}") from exc


def _render(request: Request, conn: Any, user: auth.User, **extra: Any) -> Response:
    rows = open_quarantine_for(conn, limit=QUARANTINE_SHOWN, user_id=user.id, username=user.username, role=user.role,
                               unmasked=True, now=local_now(), view="intake page")
    for row in rows:
        row["fields"] = readable(row["raw"])
        row["given"] = {f["field"]: f["value"] for f in row["fields"] if f["field"]}
    context = {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "channels": CHANNELS, "crs_choices": CRS_CHOICES,
        "category_labels": CATEGORY_LABELS, "quarantine": rows, "form": {}, "result": None, "error": None,
        "fixed": None, "fix_error": None, "why": None, "choices": label_view.form_choices(), **extra,
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
    join_case_id: Annotated[str, Form()] = "",
) -> Response:
    """Register one complaint as the seat types it (or join it to the open case the seat chose)."""
    form = {"text": text, "channel": channel, "address": address, "reported_party": reported_party, "name": name,
            "phone": phone, "lon": lon, "lat": lat, "crs": crs}
    payload = {key: value.strip() or None for key, value in form.items() if key != "channel"}
    join = int(join_case_id) if join_case_id.strip().isdigit() else None
    try:
        result = intake.submit_complaint(conn, payload, channel=channel if channel in CHANNELS else "api",
                                         now=local_now(), actor=user.username, role=user.role, join_case_id=join)
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


@router.get("/intake/suggest")
def suggest(conn: Conn, user: IntakeUser, text: str = "", address: str = "", reported_party: str = "",
            lon: str = "", lat: str = "", crs: str = "") -> dict[str, Any]:
    """Open cases near what is being typed (JSON for the page script)."""
    try:
        x, y = _float(lon), _float(lat)
    except InvalidInput:
        x = y = None  # half-typed: suggest from the address and text meanwhile
    if x is None or y is None:
        x = y = None
    found = suggest_cases(conn, text=text[:2000], address=address[:300], reported_party=reported_party[:200],
                          lon=x, lat=y, crs=crs or None, now=local_now())
    for case in found["cases"]:
        case["opened_at"] = case["opened_at"].isoformat()
        case["categories"] = [CATEGORY_LABELS.get(k, k) for k in case["categories"] or []]
        case["shared"] = [CATEGORY_LABELS.get(k, k) for k in case["shared"]]
    return found


@router.post("/intake/quarantine/{quarantine_id}", response_class=HTMLResponse)
def fix_quarantined(
    request: Request, conn: Conn, user: IntakeUser, quarantine_id: int,
    text: Annotated[str, Form()] = "", address: Annotated[str, Form()] = "",
    reported_party: Annotated[str, Form()] = "", received_at: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "", lat: Annotated[str, Form()] = "", crs: Annotated[str, Form()] = "",
) -> Response:
    """Place a quarantined row (coordinates) or fix its fields; it is imported and leaves the list."""
    edits = {k: v.strip() for k, v in (("text", text), ("address", address), ("reported_party", reported_party),
                                       ("received_at", received_at)) if v.strip()}
    try:
        result = intake.resolve_quarantined(conn, quarantine_id, lon=_float(lon), lat=_float(lat), crs=crs or None,
                                            edits=edits, now=local_now(), actor=user.username, role=user.role)
    except DomainError as exc:
        return _render(request, conn, user, fix_error={"id": quarantine_id, "message": str(exc)})
    return _render(request, conn, user, fixed={"id": quarantine_id, "result": result})
