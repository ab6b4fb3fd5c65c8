"""Routes of the dispatch package (JSON API). Thin: validate, call the dispatch service, return.

Every write needs a role (``require_role``); the service checks the finer rule (which role may do
which transition, who holds the case's level). The one write without an account is the
complainant's vote with a receipt token: the token is the credential.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from dashboard.deps import current_user, get_conn, require_role
from dashboard.dispatch_queries import case_with_complaints
from dispatch import assignment, followup, kpi, ladder, lifecycle, orders, outbox, supervision, views
from dispatch import deadlines as rules
from dispatch.cases import NewCase, open_case
from dispatch.escalation import scan
from dispatch.policy import calendar_around, load_policy
from envpetition import auth
from envpetition.errors import Forbidden, InvalidInput
from envpetition.localtime import as_local
from envpetition.runtime import local_now
from ingest import intake

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
Reader = Annotated[auth.User, Depends(current_user)]
Staff = Annotated[auth.User, Depends(require_role(auth.STAFF))]
Leader = Annotated[auth.User, Depends(require_role(auth.LEADERS))]
BureauLeader = Annotated[auth.User, Depends(require_role(auth.BUREAU_LEADERS))]
Director = Annotated[auth.User, Depends(require_role(auth.DIRECTOR))]
Office = Annotated[auth.User, Depends(require_role(auth.OFFICE))]
Admin = Annotated[auth.User, Depends(require_role(auth.ADMIN))]
FieldStaff = Annotated[auth.User, Depends(require_role(auth.FIELD))]
Priority = Literal["emergency", "urgent", "normal"]


class CaseIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    opened_at: datetime | None = None
    priority: Priority = "normal"
    categories: list[str] = []
    team_id: int | None = None
    community_id: int | None = None
    enterprise_id: int | None = None
    grid_id: int | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    proactive: bool = False
    auto_dispatch: bool = True


class ActionIn(BaseModel):
    action: str
    reason: str | None = None
    team_id: int | None = None
    department: str | None = None
    attachments: list[str] = Field(default=[], max_length=50, description="references (URLs, file ids) of evidence")


class CalendarDayIn(BaseModel):
    is_workday: bool
    note: str | None = None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1)


class FinalNoIn(BaseModel):
    reason: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)


class SupervisionIn(BaseModel):
    instruction: str = Field(min_length=1)
    deadline_at: datetime


class NoteIn(BaseModel):
    note: str = Field(min_length=1)


class DutyIn(BaseModel):
    duty: str


class ItemIn(BaseModel):
    kind: Literal["milestone", "checklist"]
    title: str = Field(min_length=1)
    due_date: date | None = None


class ListedIn(BaseModel):
    title: str = Field(min_length=1)
    case_id: int | None = None
    target_date: date | None = None
    items: list[ItemIn] = Field(min_length=1)


class EvidenceIn(BaseModel):
    evidence: str = ""


class FollowUpIn(BaseModel):
    method: Literal["phone", "visit", "sms", "online"]
    notes: str | None = None


class VoteIn(BaseModel):
    verdict: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: str | None = Field(default=None, max_length=2000)


class RoutingIn(BaseModel):
    category: str | None = None
    area_id: int | None = None
    team_id: int | None = None
    department: str | None = None
    rank: int = 100


def _local(moment: datetime | None) -> datetime | None:
    return as_local(moment) if moment is not None else None


@router.get("/deadlines")
def deadlines(conn: Conn, user: Reader, received: datetime, priority: Priority,
              investigated: datetime | None = None) -> dict[str, Any]:
    """Every clock's due time for a complaint received at ``received`` (ISO 8601, +08:00)."""
    start, inv = as_local(received), _local(investigated)
    policy = load_policy(conn)
    clocks = rules.compute_clocks(policy, calendar_around(conn, start, inv), received=start, priority=priority,
                                  investigated=inv)
    return {"clocks": {k: due.isoformat() for k, (_, due) in clocks.items()}, "policy_version": policy.version}


@router.get("/policy")
def policy(conn: Conn, user: Reader, version: int | None = None) -> dict[str, Any]:
    p = load_policy(conn, version)
    return {"version": p.version, "business_start": p.business_start.isoformat(),
            "business_end": p.business_end.isoformat(), "extension_days": p.extension_days,
            "rules": [vars(r) for r in p.rules.values()]}


@router.post("/cases", status_code=201)
def create_case(conn: Conn, user: Office, body: CaseIn) -> dict[str, Any]:
    """Open a case: clocks start, the team is found, the order is queued."""
    now = local_now()
    new = NewCase(title=body.title, opened_at=_local(body.opened_at) or now, priority=body.priority,
                  categories=body.categories, team_id=body.team_id, community_id=body.community_id,
                  enterprise_id=body.enterprise_id, grid_id=body.grid_id, lon=body.lon, lat=body.lat,
                  proactive=body.proactive, auto_dispatch=body.auto_dispatch)
    case_id = open_case(conn, new, actor=user.username, role=user.role, now=now)
    return case_with_complaints(conn, case_id)


@router.get("/cases/{case_id}")
def get_case(conn: Conn, user: Reader, case_id: int) -> dict[str, Any]:
    """The case with events, clocks, escalations, orders, refusals, supervision, votes and complaints."""
    return case_with_complaints(conn, case_id)


@router.post("/cases/{case_id}/actions")
def act(conn: Conn, user: Staff, case_id: int, body: ActionIn) -> dict[str, Any]:
    """Move a case through its lifecycle; refused transitions answer 409 (state) or 403 (role)."""
    return lifecycle.transition(conn, case_id, body.action, actor=user.username, role=user.role, now=local_now(),
                                reason=body.reason, team_id=body.team_id, department=body.department,
                                actor_team_id=user.team_id,
                                data={"attachments": body.attachments} if body.attachments else None)


class DepartmentIn(BaseModel):
    department: str = Field(min_length=1, max_length=100)


@router.post("/cases/{case_id}/departments", status_code=201)
def add_department(conn: Conn, user: Office, case_id: int, body: DepartmentIn) -> dict[str, Any]:
    """Involve another department; the first one asked leads and coordinates."""
    lifecycle.involve_department(conn, case_id, body.department, now=local_now())
    return {"departments": views.case_detail(conn, case_id)["departments"]}


@router.post("/cases/{case_id}/escalate")
def escalate(conn: Conn, user: Staff, case_id: int, body: ReasonIn) -> dict[str, Any]:
    """Say "no" at the case's level: it moves up one level with the reason."""
    return ladder.refuse(conn, case_id, actor=user.username, role=user.role, reason=body.reason, now=local_now(),
                         actor_team_id=user.team_id)


@router.post("/cases/{case_id}/final-no")
def final_no(conn: Conn, user: Director, case_id: int, body: FinalNoIn) -> dict[str, Any]:
    return ladder.final_no(conn, case_id, actor=user.username, role=user.role, reason=body.reason,
                           suggestion=body.suggestion, now=local_now())


@router.post("/cases/{case_id}/extend")
def extend(conn: Conn, user: BureauLeader, case_id: int, body: ReasonIn) -> dict[str, Any]:
    due = lifecycle.extend_case(conn, case_id, actor=user.username, role=user.role, reason=body.reason, now=local_now())
    return {"case_id": case_id, "close_due": due.isoformat()}


@router.post("/clocks/{clock_id}/pause", status_code=204)
def pause(conn: Conn, user: Leader, clock_id: int, body: ReasonIn) -> None:
    lifecycle.pause_case_clock(conn, clock_id, actor=user.username, role=user.role, reason=body.reason, now=local_now())


@router.post("/clocks/{clock_id}/resume")
def resume(conn: Conn, user: Leader, clock_id: int) -> dict[str, Any]:
    due = lifecycle.resume_case_clock(conn, clock_id, actor=user.username, role=user.role, now=local_now())
    return {"clock_id": clock_id, "due_at": due.isoformat()}


@router.get("/clocks")
def clock_board(conn: Conn, user: Reader, team_id: int | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Running clocks, soonest due first, with the share of time used."""
    return views.clock_board(conn, now=local_now(), team_id=team_id, limit=limit)


@router.post("/cases/{case_id}/supervision-orders", status_code=201)
def supervise(conn: Conn, user: Leader, case_id: int, body: SupervisionIn) -> dict[str, Any]:
    order = supervision.issue_supervision_order(conn, case_id, actor=user.username, role=user.role,
                                                instruction=body.instruction,
                                                deadline_at=as_local(body.deadline_at), now=local_now())
    return {"supervision_order_id": order}


@router.post("/supervision-orders/{order_id}/answer", status_code=204)
def answer_supervision(conn: Conn, user: Staff, order_id: int, body: NoteIn) -> None:
    supervision.fulfil_supervision_order(conn, order_id, actor=user.username, role=user.role, note=body.note,
                                         now=local_now())


@router.post("/cases/{case_id}/leader-case", status_code=201)
def take_case(conn: Conn, user: BureauLeader, case_id: int) -> dict[str, Any]:
    return {"leader_case_id": supervision.take_leader_case(conn, case_id, leader=user.username, role=user.role,
                                                           now=local_now())}


@router.post("/leader-cases/{leader_case_id}/duties")
def duty_done(conn: Conn, user: BureauLeader, leader_case_id: int, body: DutyIn) -> dict[str, bool]:
    return supervision.mark_duty(conn, leader_case_id, body.duty, actor=user.username, now=local_now())


@router.get("/leader-quota")
def leader_quota(conn: Conn, user: Reader, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> dict[str, Any]:
    first = date.fromisoformat(f"{month}-01") if month else local_now().date().replace(day=1)
    return supervision.quota_report(conn, first)


@router.post("/listed-cases", status_code=201)
def create_listed(conn: Conn, user: BureauLeader, body: ListedIn) -> dict[str, Any]:
    listed = supervision.list_case(conn, title=body.title, actor=user.username, role=user.role, now=local_now(),
                                   case_id=body.case_id, target_date=body.target_date,
                                   items=[(i.kind, i.title, i.due_date) for i in body.items])
    return {"listed_case_id": listed}


@router.get("/listed-cases")
def get_listed(conn: Conn, user: Reader, include_closed: bool = False) -> list[dict[str, Any]]:
    return supervision.listed_cases(conn, today=local_now().date(), include_closed=include_closed)


@router.post("/listed-items/{item_id}/done", status_code=204)
def item_done(conn: Conn, user: Staff, item_id: int, body: EvidenceIn) -> None:
    supervision.complete_item(conn, item_id, actor=user.username, evidence=body.evidence, now=local_now())


@router.post("/listed-cases/{listed_id}/close", status_code=204)
def close_listed(conn: Conn, user: BureauLeader, listed_id: int) -> None:
    supervision.close_listed_case(conn, listed_id, actor=user.username, role=user.role, now=local_now())


@router.get("/ledgers/{which}")
def get_ledger(conn: Conn, user: Reader, which: Literal["unresolved", "unsatisfied"],
               include_resolved: bool = False) -> list[dict[str, Any]]:
    return supervision.ledger(conn, which, include_resolved=include_resolved)


@router.get("/meeting")
def meeting(conn: Conn, user: Reader) -> dict[str, Any]:
    """This week's dispatch meeting list."""
    return supervision.weekly_meeting_list(conn, now=local_now())


@router.post("/cases/{case_id}/follow-up")
def follow_up(conn: Conn, user: Office, case_id: int, body: FollowUpIn) -> dict[str, Any]:
    return followup.record_follow_up(conn, case_id, actor=user.username, role=user.role, method=body.method,
                                     notes=body.notes, now=local_now())


@router.post("/cases/{case_id}/votes", status_code=201)
def staff_vote(conn: Conn, user: Office, case_id: int, body: VoteIn) -> dict[str, Any]:
    """A vote taken by staff during the follow-up call."""
    return followup.vote(conn, case_id, body.verdict, via="staff", now=local_now(), actor=user.username,
                         comment=body.comment)


@router.post("/receipts/{token}/vote", status_code=201)
def receipt_vote(conn: Conn, token: Annotated[str, Path(min_length=4, max_length=200)], body: VoteIn) -> dict[str, Any]:
    """The complainant's own vote with the receipt token (no account). Answers only the outcome."""
    result = intake.vote_by_receipt(conn, token, body.verdict, now=local_now(), comment=body.comment)
    return {"verdict": result["verdict"], "reopened": result["reopened"]}


@router.get("/orders")
def list_orders(conn: Conn, user: Reader, case_id: int) -> list[dict[str, Any]]:
    return orders.case_orders(conn, case_id)


@router.post("/orders/{order_id}/ack")
def ack_order(conn: Conn, user: FieldStaff,
              order_id: int) -> dict[str, Any]:
    """The team acknowledges a dispatch order (the same as an MQTT acknowledgement)."""
    order = orders.order_status(conn, order_id)
    if user.role == "team_member" and user.team_id != order["team_id"]:
        raise Forbidden("只能确认本队的调度指令 / only the addressed team may acknowledge")
    orders.acknowledge(conn, order_id, by=user.username, now=local_now())
    return orders.order_status(conn, order_id)


@router.post("/scan")
def run_scan(conn: Conn, user: Leader) -> dict[str, Any]:
    """Run the escalation scanner now (it also runs periodically)."""
    return scan(conn, now=local_now())


@router.get("/kpis")
def get_kpis(conn: Conn, user: Reader, start: Annotated[date, Query(alias="from")],
             end: Annotated[date, Query(alias="to")], team_id: int | None = None) -> list[dict[str, Any]]:
    """Response, resolution, satisfaction and on-time rates per team and month (cases opened in [from, to))."""
    if end <= start:
        raise InvalidInput("to 必须晚于 from / 'to' must be after 'from'")
    return kpi.kpis(conn, start=start, end=end, now=local_now(), team_id=team_id)


@router.get("/flags")
def flags(conn: Conn, user: Leader) -> list[dict[str, Any]]:
    """Accountability flags: breached without escalation; escalated without effort."""
    return views.accountability_flags(conn)


@router.post("/routing-rules", status_code=201)
def add_rule(conn: Conn, user: Admin, body: RoutingIn) -> dict[str, Any]:
    return {"id": assignment.add_routing_rule(conn, category=body.category, area_id=body.area_id,
                                              team_id=body.team_id, department=body.department, rank=body.rank)}


@router.post("/calendar/{day}")
def set_calendar_day(conn: Conn, user: Admin, day: date, body: CalendarDayIn) -> dict[str, Any]:
    """Admin edit of the working calendar (kept when the calendar is re-seeded). Running clocks keep their due times."""
    from envpetition.calendar import set_day

    set_day(conn, day, body.is_workday, body.note)
    return {"day": day.isoformat(), "is_workday": body.is_workday}


@router.get("/outbox")
def get_outbox(conn: Conn, user: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return outbox.pending(conn, limit)
