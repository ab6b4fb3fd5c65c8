"""The case lifecycle service: every transition checked, recorded as an append-only event, clocks kept.

Rules live in ``dispatch.states`` (pure); this module does the I/O in one transaction per call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch import clocks, orders
from dispatch.events import record_event
from dispatch.policy import load_policy
from dispatch.states import TransitionRefused, check_transition
from envpetition.auth import BUREAU_LEADERS, LEADERS, may
from envpetition.errors import Conflict, Forbidden, InvalidInput, NotFound

SELECT_CASE_FOR_UPDATE = """
select id, state, priority, level, team_id, lead_department, opened_at, closed_at from cases where id = %s for update
"""
UPDATE_STATE = "update cases set state = %s, updated_at = %s where id = %s"
SET_TEAM = "update cases set team_id = %s where id = %s"
SET_CLOSED = "update cases set closed_at = %s, outcome = coalesce(outcome, 'resolved') where id = %s"
SET_REOPENED = "update cases set closed_at = null, outcome = null, reopened_count = reopened_count + 1 where id = %s"
TEAM_EXISTS = "select active from teams where id = %s"
ADD_DEPARTMENT = """
insert into case_departments (case_id, department, is_lead, added_at)
values (%s, %s, not exists (select 1 from case_departments where case_id = %s and is_lead), %s)
on conflict (case_id, department) do nothing
"""
SET_LEAD = """
update cases set lead_department = (select department from case_departments where case_id = %s and is_lead)
where id = %s
"""
RESOLVE_UNRESOLVED = "update ledger_entries set resolved_at = %s where case_id = %s and ledger = 'unresolved' and resolved_at is null"


def lock_case(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any]:
    """The case row, locked until the transaction ends; NotFound if missing."""
    with conn.cursor(row_factory=dict_row) as cur:
        case = cur.execute(SELECT_CASE_FOR_UPDATE, (case_id,)).fetchone()
    if case is None:
        raise NotFound(f"案件 {case_id} 不存在 / no case {case_id}")
    return case


def add_department(conn: psycopg.Connection[Any], case_id: int, department: str, *, now: datetime) -> None:
    """Involve a department; the first one asked leads and coordinates (``001_b9a0ec233ad2b317.txt``)."""
    if not department.strip():
        raise InvalidInput("部门不能为空 / department must not be empty")
    conn.execute(ADD_DEPARTMENT, (case_id, department, case_id, now))
    conn.execute(SET_LEAD, (case_id, case_id))


def involve_department(conn: psycopg.Connection[Any], case_id: int, department: str, *, now: datetime) -> None:
    """Involve another department in a case, under the case's lock, in one transaction."""
    with conn.transaction():
        lock_case(conn, case_id)
        add_department(conn, case_id, department, now=now)


def transition(
    conn: psycopg.Connection[Any], case_id: int, action: str, *, actor: str, role: str, now: datetime,
    reason: str | None = None, data: dict[str, Any] | None = None, team_id: int | None = None,
    department: str | None = None, actor_team_id: int | None = None,
) -> dict[str, Any]:
    """Apply ``action`` to a case; return {case_id, from, to}. Refusals raise Conflict/Forbidden/InvalidInput."""
    with conn.transaction():
        case = lock_case(conn, case_id)
        try:
            rule = check_transition(case["state"], action, role, reason)
        except TransitionRefused as exc:
            raise (Forbidden if exc.forbidden else Conflict)(str(exc)) from exc
        if role == "team_member" and case["team_id"] is not None and actor_team_id != case["team_id"]:
            raise Forbidden("只有承办执法队可以操作本案 / only the assigned team may act on this case")
        extra = dict(data or {})
        if action == "assign":
            team_id = team_id or case["team_id"]
            if team_id is None:
                raise InvalidInput("交办必须指定执法队 / assign needs a team")
            active = conn.execute(TEAM_EXISTS, (team_id,)).fetchone()
            if active is None or not active[0]:
                raise InvalidInput(f"执法队 {team_id} 不存在或已停用 / team {team_id} unknown or inactive")
            conn.execute(SET_TEAM, (team_id, case_id))
            extra["team_id"] = team_id
        if action == "transfer":
            if not department:
                raise InvalidInput("转办必须指定部门 / transfer needs a department")
            add_department(conn, case_id, department, now=now)
            extra["department"] = department
        clocks.meet_clocks(conn, case_id, list(rule.meets), at=now)
        if action == "transfer":
            clocks.meet_clocks(conn, case_id, ["arrive"], at=now, outcome="transferred")
        if action in ("transfer", "return"):
            orders.cancel_orders(conn, case_id, now=now)
        if action == "assign" and team_id is not None:
            orders.queue_order(conn, case_id, team_id, now=now)
        if action == "investigate":
            clocks.start_policy_clocks(conn, case_id, load_policy(conn), priority=case["priority"],
                                       received=case["opened_at"], investigated=now)
        if action == "close":
            conn.execute(SET_CLOSED, (now, case_id))
            clocks.meet_clocks(conn, case_id, ["accept", "dispatch", "arrive", "reply", "follow_up", "supervision"],
                               at=now, outcome="case_closed")
            conn.execute(RESOLVE_UNRESOLVED, (now, case_id))
        if action == "reopen":
            conn.execute(SET_REOPENED, (case_id,))
            clocks.meet_clocks(conn, case_id, ["accept", "dispatch", "arrive", "reply", "follow_up", "close"],
                               at=now, outcome="reopened")
            clocks.start_policy_clocks(conn, case_id, load_policy(conn), priority=case["priority"],
                                       received=now, kinds=("dispatch", "arrive", "close"))
        conn.execute(UPDATE_STATE, (rule.target, now, case_id))
        record_event(conn, case_id, action, actor=actor, role=role, at=now, from_state=case["state"],
                     to_state=rule.target, reason=reason, data=extra)
    return {"case_id": case_id, "from": case["state"], "to": rule.target}


def extend_case(conn: psycopg.Connection[Any], case_id: int, *, actor: str, role: str, reason: str,
                now: datetime) -> datetime:
    """Approved extension of the close clock (+30 days, 信访条例 Art. 33): once, by a bureau leader, with a reason."""
    if not may(role, BUREAU_LEADERS):
        raise Forbidden("延期须经局领导批准 / an extension needs a bureau leader's approval")
    if not reason or not reason.strip():
        raise InvalidInput("延期必须写明理由 / an extension needs a reason")
    with conn.transaction():
        case = lock_case(conn, case_id)
        if conn.execute("select extended from cases where id = %s", (case_id,)).fetchone()[0]:  # type: ignore[index]
            raise Conflict("本案已延期一次 / the case has already been extended once")
        new_due = clocks.extend_close_clock(conn, case_id, load_policy(conn))
        conn.execute("update cases set extended = true, updated_at = %s where id = %s", (now, case_id))
        record_event(conn, case_id, "extended", actor=actor, role=role, at=now, reason=reason,
                     from_state=case["state"], to_state=case["state"], data={"close_due": new_due.isoformat()})
    return new_due


def pause_case_clock(conn: psycopg.Connection[Any], clock_id: int, *, actor: str, role: str, reason: str,
                     now: datetime) -> None:
    """Pause a clock (where the rules allow) with the approver recorded."""
    if not may(role, LEADERS):
        raise Forbidden("暂停时限须经科室负责人以上批准 / pausing a clock needs a section chief or above")
    with conn.transaction():
        clocks.pause_clock(conn, clock_id, reason=reason, approver=actor, now=now)
        case_id = conn.execute("select case_id from clocks where id = %s", (clock_id,)).fetchone()[0]  # type: ignore[index]
        record_event(conn, case_id, "clock_paused", actor=actor, role=role, at=now, reason=reason,
                     data={"clock_id": clock_id})


def resume_case_clock(conn: psycopg.Connection[Any], clock_id: int, *, actor: str, role: str, now: datetime) -> datetime:
    if not may(role, LEADERS):
        raise Forbidden("恢复时限须经科室负责人以上 / resuming a clock needs a section chief or above")
    with conn.transaction():
        new_due = clocks.resume_clock(conn, clock_id, now=now)
        case_id = conn.execute("select case_id from clocks where id = %s", (clock_id,)).fetchone()[0]  # type: ignore[index]
        record_event(conn, case_id, "clock_resumed", actor=actor, role=role, at=now,
                     data={"clock_id": clock_id, "due_at": new_due.isoformat()})
    return new_due
