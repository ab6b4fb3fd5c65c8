"""Dispatch pages: the ladder board for leaders, a team's orders, KPIs, the complainant's receipt.

Thin: validate, call the dispatch service, show a refused action's message on the page. Complainant
identity never appears here, except masked on the complainant's own receipt.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard import dispatch_queries as dq
from dashboard.deps import require_role
from dashboard.kpi_figure import RATES, kpi_figure
from dashboard.templating import Conn, page_role, templates
from dispatch import followup, kpi, ladder, lifecycle, orders, supervision, views
from dispatch.states import TRANSITIONS
from envpetition import auth
from envpetition.errors import DomainError, Forbidden, InvalidInput, NotFound
from envpetition.runtime import local_now
from ingest import intake
from ingest.classify import CATEGORY_LABELS
from ingest.intake import receipt as complaint_receipt
from ingest.privacy import mask_name, mask_phone

router = APIRouter(include_in_schema=False)
BOARD_ROWS = 30  # per level on the unfiltered board; the level filter shows all (up to 500)
FieldUser = Annotated[auth.User, Depends(require_role(auth.FIELD))]
LeaderPage = Annotated[auth.User, Depends(page_role(auth.LEADERS))]
FieldPage = Annotated[auth.User, Depends(page_role(auth.FIELD))]
VERDICT_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
FLAG_LABELS = {"breached_without_escalation": "超时未提级", "escalated_without_effort": "未办即提级"}
MEETING_SOURCES = {"overdue": "超时 150%", "unsatisfied": "群众不满意", "listed": "挂牌节点逾期"}
ACTION_HINTS = {"investigate": "查处情况 findings", "reply": "答复内容 reply to the complainant",
                "return": "退回原因 reason"}


def _page(request: Request, name: str, user: auth.User | None, **context: Any) -> Response:
    status = context.pop("status_code", 200)
    return templates.TemplateResponse(request, name, {
        "user": user, "role_label": auth.ROLE_LABELS[user.role] if user else "", **context,
    }, status_code=status)


def _refused(request: Request, user: auth.User | None, message: str, status: int) -> Response:
    return _page(request, "message.html", user, message=message, status_code=status)


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, conn: Conn, user: LeaderPage,
               level: Annotated[int | None, Query(ge=1, le=5)] = None, team: int | None = None) -> Response:
    """The say-no escalation ladder: open cases by level, clocks, flags, supervision, meeting list, ledgers."""
    now = local_now()
    cases = dq.open_cases(conn, now=now, level=level, team_id=team)
    dq.decorate(cases, now)
    levels = [(n, ladder.LEVEL_LABELS[n], [c for c in cases if c["level"] == n]) for n in sorted(ladder.LEVEL_LABELS)]
    all_teams = dq.teams(conn)
    team_name = next((t["name"] for t in all_teams if t["id"] == team), None)

    def chosen(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The level and team filters apply to the meeting list and the ledgers too."""
        return [r for r in rows if (level is None or r.get("level") == level) and (team is None or r.get("team") == team_name)]

    meeting = supervision.weekly_meeting_list(conn, now=now)
    meeting["items"] = chosen(meeting["items"]) if level or team else meeting["items"]
    return _page(request, "board.html", user, now=now, levels=levels, total=len(cases), page_rows=BOARD_ROWS,
                 level_labels=ladder.LEVEL_LABELS, level=level, team=team, teams=all_teams,
                 flag_labels=FLAG_LABELS, meeting=meeting, meeting_sources=MEETING_SOURCES,
                 listed=supervision.listed_cases(conn, today=now.date()),
                 unresolved=chosen(supervision.ledger(conn, "unresolved")),
                 unsatisfied=chosen(supervision.ledger(conn, "unsatisfied")))


def _team_of(user: auth.User, team: int | None) -> int | None:
    """A team member sees their own team; a section chief (or admin) picks one."""
    return user.team_id if user.role == "team_member" else team


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, conn: Conn, user: FieldPage, team: int | None = None,
              ok: str | None = None, error: str | None = None) -> Response:
    """A team's open cases with deadlines, site and the next actions allowed to this user."""
    all_teams = dq.teams(conn)
    team_id = _team_of(user, team) or (all_teams[0]["id"] if all_teams and user.role != "team_member" else None)
    now = local_now()
    cases = dq.open_cases(conn, now=now, team_id=team_id) if team_id is not None else []
    dq.decorate(cases, now)
    cases.sort(key=lambda c: (c["due_at"] is None, c["due_at"] or now, c["id"]))  # soonest deadline first
    for case in cases:
        case["actions"] = dq.actions_for(case["state"], user.role)
        case["may_escalate"] = ladder.may_act_at_level(user.role, case["level"]) and case["level"] < 5
    team_name = next((t["name"] for t in all_teams if t["id"] == team_id), None)
    return _page(request, "team.html", user, cases=cases, team_id=team_id, team_name=team_name, teams=all_teams,
                 ok=ok, error=error, category_labels=CATEGORY_LABELS,
                 action_labels={a: t.label for a, t in TRANSITIONS.items()}, action_hints=ACTION_HINTS,
                 level_labels=ladder.LEVEL_LABELS)


def _back_to_team(team: int | None, *, ok: str | None = None, error: str | None = None) -> Response:
    query = {k: v for k, v in (("team", team), ("ok", ok), ("error", error)) if v is not None}
    return RedirectResponse("/team" + ("?" + urlencode(query) if query else ""), status_code=303)


@router.post("/team/cases/{case_id}/act")
def team_act(conn: Conn, user: FieldUser, case_id: int, action: Annotated[str, Form()],
             text: Annotated[str, Form()] = "", team: Annotated[int | None, Form()] = None) -> Response:
    """One lifecycle step from the team page; a refusal comes back as the page's error line."""
    if action not in dq.TEAM_ACTIONS:
        return _back_to_team(team, error=f"未知操作 {action} / unknown action")
    note = text.strip() or None
    data = {"findings": note} if action == "investigate" and note else None
    try:
        result = lifecycle.transition(conn, case_id, action, actor=user.username, role=user.role, now=local_now(),
                                      reason=note, data=data, actor_team_id=user.team_id)
    except DomainError as exc:
        return _back_to_team(team, error=f"案件 {case_id}: {exc}")
    label = TRANSITIONS[action].label
    return _back_to_team(team, ok=f"案件 {case_id} 已{label} → {result['to']}")


@router.post("/team/orders/{order_id}/ack")
def team_ack(conn: Conn, user: FieldUser, order_id: int, team: Annotated[int | None, Form()] = None) -> Response:
    """Acknowledge a dispatch order from the page (the same as the MQTT acknowledgement)."""
    try:
        order = orders.order_status(conn, order_id)
        if user.role == "team_member" and user.team_id != order["team_id"]:
            raise Forbidden("只能确认本队的调度指令 / only the addressed team may acknowledge")
        case_id = orders.acknowledge(conn, order_id, by=user.username, now=local_now())
    except DomainError as exc:
        return _back_to_team(team, error=str(exc))
    return _back_to_team(team, ok=f"案件 {case_id} 调度指令已确认 / order {order_id} acknowledged")


@router.post("/team/cases/{case_id}/escalate")
def team_escalate(conn: Conn, user: FieldUser, case_id: int, reason: Annotated[str, Form()] = "",
                  team: Annotated[int | None, Form()] = None) -> Response:
    """说"不"提级: the holder of the case's level cannot handle it; the reason is mandatory."""
    try:
        result = ladder.refuse(conn, case_id, actor=user.username, role=user.role, reason=reason,
                               now=local_now(), actor_team_id=user.team_id)
    except DomainError as exc:
        return _back_to_team(team, error=f"案件 {case_id}: {exc}")
    return _back_to_team(team, ok=f"案件 {case_id} 已提级至{ladder.LEVEL_LABELS[result['to_level']]}")


def _month(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value + "-01")
    except ValueError as exc:
        raise InvalidInput(f"月份格式应为 YYYY-MM / month must be YYYY-MM, got {value!r}") from exc


def _add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(request: Request, conn: Conn, user: LeaderPage,
             month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
             span: Annotated[int, Query(ge=1, le=24)] = 6) -> Response:
    """Rates per team and month: the chosen month's table and the trend over ``span`` months."""
    now = local_now()
    chosen = _month(month) or dq.latest_month(conn, now.date())
    start = _add_months(chosen, 1 - span)
    rows = sorted(kpi.kpis(conn, start=start, end=_add_months(chosen, 1), now=now),
                  key=lambda r: (r["month"], r["team_id"] is None, r["team_id"] or 0))
    months = [_add_months(start, i).isoformat()[:7] for i in range(span)]
    current = [r for r in rows if r["month"] == months[-1]]
    return _page(request, "kpi.html", user, rows=rows, current=current, months=months, month=months[-1],
                 span=span, rates=RATES, figure=kpi_figure(rows, months).to_json())


def _receipt_view(conn: Conn, token: str) -> dict[str, Any]:
    """The complainant's own complaint, identity masked, progress as state labels and dates (no staff names)."""
    view = complaint_receipt(conn, token)
    contact = view.pop("complainant")
    view["name"], view["phone"] = mask_name(contact["name"]), mask_phone(contact["phone"])
    view["progress"], view["reply"], view["votes"] = [], None, []
    if view["case_id"] is not None:
        case = views.case_detail(conn, view["case_id"])
        view["progress"] = [{"at": e["at"], "state": e["to_state"]} for e in case["events"] if e["to_state"]]
        answers = [e for e in case["events"] if e["kind"] in ("reply", "final_no") and e["reason"]]
        if answers:
            last = answers[-1]
            view["reply"] = {"at": last["at"], "text": last["reason"], "suggestion": (last["data"] or {}).get("suggestion")}
        view["votes"] = case["votes"]
    view["may_vote"] = view["case_state"] in followup.VOTABLE_STATES
    return view


Token = Annotated[str, Path(min_length=4, max_length=200)]


@router.get("/receipt/{token}", response_class=HTMLResponse)
def receipt_page(request: Request, conn: Conn, token: Token, voted: str | None = None,
                 reopened: bool = False) -> Response:
    """No login: the receipt token is the credential."""
    try:
        view = _receipt_view(conn, token)
    except NotFound:
        return _refused(request, None, "回执不存在 / receipt not found", 404)
    return _page(request, "receipt.html", None, r=view, token=token, verdicts=VERDICT_LABELS,
                 voted=VERDICT_LABELS.get(voted or ""), reopened=reopened, error=None)


@router.post("/receipt/{token}/vote")
def receipt_vote(request: Request, conn: Conn, token: Token, verdict: Annotated[str, Form()] = "",
                 comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The complainant's satisfaction vote; "unsatisfied" reopens the case (dispatch does it)."""
    try:
        result = intake.vote_by_receipt(conn, token, verdict, now=local_now(), comment=comment.strip() or None)
    except NotFound:
        return _refused(request, None, "回执不存在 / receipt not found", 404)
    except DomainError as exc:
        view = _receipt_view(conn, token)
        return _page(request, "receipt.html", None, r=view, token=token, verdicts=VERDICT_LABELS, voted=None,
                     reopened=False, error=str(exc), status_code=exc.status)
    query = urlencode({"voted": verdict, **({"reopened": "true"} if result["reopened"] else {})})
    return RedirectResponse(f"/receipt/{token}?{query}", status_code=303)
