"""The team app (``/team``): a team's orders on a phone, field actions that survive a dead zone.

Thin: the page reads through dispatch's views, actions go to ``dispatch.field`` (idempotent by the
device's action id), files to ``dispatch.attachments``. The manifest, the service worker and the
icons are served here so the app installs and opens offline; nothing comes from the internet.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from dashboard import dispatch_queries as dq
from dashboard.deps import require_action
from dashboard.team_map import order_map
from dashboard.templating import Conn, page_role, templates
from dispatch import attachments, field, ladder, views
from dispatch.states import TRANSITIONS
from envpetition import auth
from envpetition.errors import DomainError, Forbidden
from envpetition.runtime import LOCAL_TZ, local_now
from ingest import views as ingest_views
from ingest.classify import CATEGORY_LABELS

router = APIRouter(include_in_schema=True, tags=["team"])
STATIC = Path(__file__).resolve().parent.parent / "static"
FIRST_ORDERS = 25  # on a phone, the soonest due; the rest one tap away (``?all=1``)
FieldUser = Annotated[auth.User, Depends(require_action("field.action"))]
FieldPage = Annotated[auth.User, Depends(page_role(auth.FIELD))]
StaffPage = Annotated[auth.User, Depends(page_role(auth.FIELD, auth.LEADERS))]
ACTION_LABELS = {"acknowledge": "确认接收", **{a: t.label for a, t in TRANSITIONS.items()}, "refuse": '说"不"提级'}
TEXT_HINTS = {"investigate": "查处情况 findings", "reply": "答复内容 reply", "return": "退回原因 reason",
              "refuse": "不能办理的原因 reason"}
TIME_FLAGS = {"live": "", "queued": "离线补传", "device_clock_ahead": "设备时间超前", "device_clock_implausible": "设备时间异常",
              "no_device_time": "无设备时间"}


def _team_of(user: auth.User, team: int | None, teams: list[dict[str, Any]]) -> int | None:
    """A team member sees their own team; a section chief (or admin) picks one."""
    if user.role == "team_member":
        return user.team_id
    return team or (teams[0]["id"] if teams else None)


def _orders(conn: Conn, user: auth.User, team_id: int, now: datetime, case_id: int | None = None,
            shown: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The team's open cases, soonest due first (the first ``shown``), each with site, history, evidence, actions.

    Returns the cases and how many the team has open in all.
    """
    cases = [c for c in dq.open_cases(conn, now=now, team_id=team_id) if case_id is None or c["id"] == case_id]
    total = len(cases)
    cases.sort(key=lambda c: (c["due_at"] is None, c["due_at"] or now, c["id"]))
    cases = cases[:shown] if shown else cases
    dq.decorate(cases, now)
    ids = [c["id"] for c in cases]
    evidence = views.case_evidence(conn, ids) if ids else {}
    done = views.field_actions(conn, ids) if ids else []
    files = views.attachments(conn, ids) if ids else []
    history = views.site_history(conn, ids) if ids else {}
    reports = ingest_views.reported(conn, ids) if ids else {}
    for case in cases:
        facts = evidence.get(case["id"], {})
        case["lon"], case["lat"] = facts.get("lon"), facts.get("lat")
        case["reports"] = reports.get(case["id"], [])
        case["exceedances"] = facts.get("exceedances", [])
        case["field"] = [a for a in done if a["case_id"] == case["id"]]
        case["files"] = [f for f in files if f["case_id"] == case["id"]]
        case["history"] = history.get(case["id"], [])
        case["map"] = order_map(case, [a for a in case["field"] if a["action"] == "arrive" and a["outcome"] == "applied"])
        kinds = "、".join(CATEGORY_LABELS.get(k, k) for k in case["categories"] or []) or "未分类"
        places = [label + name for label, name in (("小区 ", case["community"]), ("企业 ", case["enterprise"])) if name]
        case["place_line"] = " · ".join([*places, kinds])
        case["form_id"] = str(uuid.uuid4())  # without JavaScript: a resubmitted form applies once too
        case["actions"] = dq.actions_for(case["state"], user.role)
        if case["pending_order"]:
            case["actions"].insert(0, "acknowledge")
        if ladder.may_act_at_level(user.role, case["level"]) and case["level"] < 5:
            case["actions"].append("refuse")
    return cases, total


def _context(user: auth.User, **extra: Any) -> dict[str, Any]:
    return {"user": user, "role_label": auth.ROLE_LABELS[user.role], "category_labels": CATEGORY_LABELS,
            "action_labels": ACTION_LABELS, "text_hints": TEXT_HINTS, "time_flags": TIME_FLAGS,
            "level_labels": ladder.LEVEL_LABELS, "needs_text": field.NEEDS_TEXT, "radius": field.ARRIVAL_RADIUS_M,
            "tz": LOCAL_TZ, **extra}


@router.get("/team", response_class=HTMLResponse, include_in_schema=False)
def team_page(request: Request, conn: Conn, user: FieldPage, team: int | None = None, ok: str | None = None,
              error: str | None = None, show_all: Annotated[bool, Query(alias="all")] = False) -> Response:
    """The team's orders, soonest due first: map, address, countdown, site history, evidence, actions."""
    teams = dq.teams(conn)
    team_id = _team_of(user, team, teams)
    now = local_now()
    cases, total = _orders(conn, user, team_id, now, shown=None if show_all else FIRST_ORDERS) if team_id is not None else ([], 0)
    team_name = next((t["name"] for t in teams if t["id"] == team_id), None)
    return templates.TemplateResponse(request, "team.html", _context(
        user, cases=cases, total=total, team_id=team_id, team_name=team_name, teams=teams, now=now, ok=ok,
        error=error))


@router.get("/team/cases/{case_id}/card", response_class=HTMLResponse, include_in_schema=False)
def team_card(request: Request, conn: Conn, user: FieldPage, case_id: int, team: int | None = None) -> Response:
    """One order's card, re-rendered after an action was applied (empty when the case left the list)."""
    team_id = _team_of(user, team, dq.teams(conn))
    cases, _ = _orders(conn, user, team_id, local_now(), case_id=case_id) if team_id is not None else ([], 0)
    return templates.TemplateResponse(request, "team_card.html", _context(user, c=cases[0] if cases else None,
                                                                          team_id=team_id, now=local_now()))


class ActionIn(BaseModel):
    """One field action as the team app queues it."""

    client_action_id: str = Field(description="UUID made on the device; a replay with the same id applies once")
    case_id: int
    action: str = Field(description=", ".join(field.FIELD_ACTIONS))
    device_at: datetime | None = Field(None, description="the device's clock when the person acted")
    text: str | None = Field(None, max_length=4000)
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    order_id: int | None = None
    device_clock_offset_s: float | None = Field(None, description="server minus device clock at page load, if applied")


@router.post("/api/team/actions", include_in_schema=False)  # the app's own endpoint, like its forms
def post_action(body: ActionIn, conn: Conn, user: FieldUser) -> dict[str, Any]:
    """Record one field action once (idempotent on ``client_action_id``); a refusal comes back as outcome."""
    item = field.FieldAction(**body.model_dump())
    return field.record_field_action(conn, item, actor=user.username, role=user.role, team_id=user.team_id,
                                     now=local_now())


@router.post("/api/team/attachments", include_in_schema=False)
async def post_attachment(conn: Conn, user: FieldUser, client_attachment_id: Annotated[str, Form()],
                          client_action_id: Annotated[str, Form()], file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """A photo or document for a recorded action; images downscaled, EXIF position kept for staff only."""
    data = await file.read(attachments.MAX_UPLOAD_BYTES + 1)
    return attachments.attach(conn, client_attachment_id=client_attachment_id, client_action_id=client_action_id,
                              filename=file.filename or "file", content_type=file.content_type or "",
                              data=data, uploaded_by=user.username, team_id=user.team_id, role=user.role,
                              now=local_now())


@router.get("/team/attachments/{attachment_id}", include_in_schema=False)
def get_attachment(conn: Conn, user: StaffPage, attachment_id: int) -> Response:
    """The stored file, for the bureau's staff only (a team member: their own team's cases)."""
    row = views.attachment_content(conn, attachment_id)
    if user.role == "team_member" and views.case_detail(conn, row["case_id"])["team_id"] != user.team_id:
        raise Forbidden("只能查看本队案件的附件 / only your team's cases")
    return Response(bytes(row["content"]), media_type=row["content_type"], headers={
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(row['filename'])}"})


@router.get("/team/manifest.webmanifest", include_in_schema=False)
def manifest() -> FileResponse:
    return FileResponse(STATIC / "team" / "manifest.webmanifest", media_type="application/manifest+json")


@router.get("/team/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    """Served under /team with the header that lets it control /team itself (scope ``/team``)."""
    return FileResponse(STATIC / "team" / "sw.js", media_type="text/javascript",
                        headers={"Service-Worker-Allowed": "/team", "Cache-Control": "no-cache"})


@router.post("/team/cases/{case_id}/act", include_in_schema=False)
def team_act_form(conn: Conn, user: FieldUser, case_id: int, action: Annotated[str, Form()],
                  client_action_id: Annotated[str, Form()], text: Annotated[str, Form()] = "",
                  order_id: Annotated[int | None, Form()] = None, team: Annotated[int | None, Form()] = None) -> Response:
    """Without JavaScript the action buttons post here; the same idempotent service applies them."""
    item = field.FieldAction(client_action_id=client_action_id, case_id=case_id, action=action, text=text or None,
                             order_id=order_id, device_at=None)
    try:
        result = field.record_field_action(conn, item, actor=user.username, role=user.role, team_id=user.team_id,
                                           now=local_now())
        done = f"已提级至{ladder.LEVEL_LABELS[result['to_level']]}" if action == "refuse" else f"已{ACTION_LABELS[action]}"
        message = {"ok": f"案件 {case_id} {done}"} if result["outcome"] == "applied" \
            else {"error": f"案件 {case_id}: {result['message']}"}
    except DomainError as exc:
        message = {"error": f"案件 {case_id}: {exc}"}
    query = urlencode({**({"team": team} if team else {}), **message})
    return RedirectResponse(f"/team?{query}#case-{case_id}", status_code=303)
