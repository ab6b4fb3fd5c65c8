"""The say-no escalation ladder (说"不"提级管理, ``000_29902708e73b3421.txt``, ``001_b9a0ec233ad2b317.txt``).

Level 1 first responder → 2 section chief → 3 deputy director in charge → 4 director → 5 city
leadership. A level that cannot handle a request must not refuse it: its "no" moves the case up one
level with a mandatory reason. Only the director may say a final "no", with the reason and a
"how it could be done" suggestion, within a set time (``final_no_working_days`` working days after
the case reached the director). Escalating with almost no time used and nothing done is flagged,
like leaving a case to sit (001: accountability both ways).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from dispatch import clocks as clock_repo
from dispatch import outbox
from dispatch.deadlines import add_working_days, clock_share
from dispatch.events import record_event
from dispatch.lifecycle import lock_case
from dispatch.policy import calendar_around, load_policy
from dispatch.states import CLOSED_STATES
from envpetition.auth import DIRECTOR, may
from envpetition.errors import Conflict, Forbidden, InvalidInput

LEVELS = {1: "first_responder", 2: "section_chief", 3: "deputy_director", 4: "director", 5: "city_leadership"}
LEVEL_LABELS = {1: "首问负责人", 2: "科室负责人", 3: "分管领导", 4: "主要领导", 5: "市领导"}
LEVEL_ROLES = {1: ("intake", "team_member"), 2: ("section_chief",), 3: ("deputy_director",), 4: ("director",), 5: ()}
NO_EFFORT_KINDS = ("registered", "complaint_attached", "escalated", "time_escalated", "accept", "assign",
                   "order_acknowledged", "supervision_order", "leader_case", "listed")

INSERT_REFUSAL = """
insert into refusals (case_id, at, actor, role, from_level, to_level, final, reason, suggestion, due_at)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
SET_LEVEL = "update cases set level = %s, updated_at = %s where id = %s"
LAST_ARRIVAL_AT_LEVEL = """
select max(at) from case_events where case_id = %s and kind in ('registered', 'escalated', 'time_escalated')
"""
ACTIONS_SINCE = """
select count(*) from case_events where case_id = %s and at >= %s and not (kind = any(%s))
"""
RUNNING_CLOCKS = "select started_at, due_at from clocks where case_id = %s and met_at is null"
INSERT_FLAG = """
insert into accountability_flags (case_id, clock_id, kind, level, team_id, actor, at, detail)
values (%s, null, %s, %s, %s, %s, %s, %s) on conflict do nothing
"""
DIRECTOR_DEADLINE = """
select due_at from refusals where case_id = %s and to_level = 4 order by at desc limit 1
"""
SET_FINAL_NO = "update cases set outcome = 'final_no', state = 'replied', updated_at = %s where id = %s"
FINAL_NO_FROM = ("registered", "accepted", "assigned", "en_route", "on_site", "investigated", "transferred",
                 "returned", "reopened")


def may_act_at_level(role: str, level: int) -> bool:
    return may(role, LEVEL_ROLES.get(level, ()))


def is_quick_escalation(clock_use: float | None, actions_at_level: int, quick_fraction: float) -> bool:
    """Escalating with almost no time used (< ``quick_fraction`` of a running clock) and no action logged."""
    return actions_at_level == 0 and clock_use is not None and clock_use < quick_fraction


def refuse(conn: psycopg.Connection[Any], case_id: int, *, actor: str, role: str, reason: str,
           now: datetime, actor_team_id: int | None = None) -> dict[str, Any]:
    """Say "no" at the case's current level: the case moves up one level (never a final no below 4)."""
    from psycopg.types.json import Jsonb

    if not reason or not reason.strip():
        raise InvalidInput("提级必须写明不能办理的原因 / escalating needs the reason it cannot be handled here")
    with conn.transaction():
        case = lock_case(conn, case_id)
        level = case["level"]
        if case["state"] in CLOSED_STATES:
            raise Conflict("案件已办结 / the case is closed")
        if level >= 5:
            raise Conflict("案件已在市领导层级 / the case is already with city leadership")
        if not may_act_at_level(role, level):
            raise Forbidden(f"案件在{LEVEL_LABELS[level]}层级,角色 {role} 不能提级 / the case is at level {level} "
                            f"({LEVELS[level]}); role {role} may not act there")
        if role == "team_member" and case["team_id"] is not None and actor_team_id != case["team_id"]:
            raise Forbidden("只有承办执法队可以提级 / only the assigned team may escalate at level 1")
        policy = load_policy(conn)
        arrived = conn.execute(LAST_ARRIVAL_AT_LEVEL, (case_id,)).fetchone()[0]  # type: ignore[index]
        actions = conn.execute(ACTIONS_SINCE, (case_id, arrived, list(NO_EFFORT_KINDS))).fetchone()[0]  # type: ignore[index]
        shares = [clock_share(s, d, now) for s, d in conn.execute(RUNNING_CLOCKS, (case_id,)).fetchall()]
        use = max((s for s in shares if s is not None), default=None)
        quick = is_quick_escalation(use, int(actions), policy.quick_escalation_fraction)
        if quick:
            conn.execute(INSERT_FLAG, (case_id, "escalated_without_effort", level, case["team_id"], actor, now,
                                       Jsonb({"clock_use": use, "actions": int(actions)})))
        new_level = level + 1
        due = None
        if new_level == 4:
            due = add_working_days(now, policy.final_no_working_days, calendar_around(conn, now), policy.business_start)
        conn.execute(INSERT_REFUSAL, (case_id, now, actor, role, level, new_level, False, reason, None, due))
        conn.execute(SET_LEVEL, (new_level, now, case_id))
        record_event(conn, case_id, "escalated", actor=actor, role=role, at=now, reason=reason,
                     data={"from_level": level, "to_level": new_level, "quick": quick})
        outbox.enqueue(conn, channel="sms", recipient_role=LEVELS[new_level], case_id=case_id,
                       team_id=case["team_id"], subject=f"案件 {case_id} 提级至{LEVEL_LABELS[new_level]}",
                       body=f"{LEVEL_LABELS[level]}无法办理: {reason}", now=now, urgent=case["priority"] != "normal",
                       send_after=None)
    return {"case_id": case_id, "from_level": level, "to_level": new_level, "flagged": quick,
            "final_no_due": due.isoformat() if due else None}


def final_no(conn: psycopg.Connection[Any], case_id: int, *, actor: str, role: str, reason: str,
             suggestion: str, now: datetime) -> dict[str, Any]:
    """The director's final "no": reason and a "how it could be done" suggestion, within the deadline."""
    if not may(role, DIRECTOR):
        raise Forbidden("只有主要领导可以最终说\"不\" / only the director may give a final no")
    if not reason or not reason.strip() or not suggestion or not suggestion.strip():
        raise InvalidInput("最终说\"不\"必须写明原因和\"怎样才能办\"的建议 / a final no needs the reason and a "
                           "how-it-could-be-done suggestion")
    with conn.transaction():
        case = lock_case(conn, case_id)
        if case["level"] != 4:
            raise Conflict(f"案件在第 {case['level']} 级,只有到主要领导层级才能最终说\"不\" / the case is at level "
                           f"{case['level']}; a final no is given only at level 4 (director)")
        if case["state"] not in FINAL_NO_FROM:
            raise Conflict(f"案件状态 {case['state']} 不能再说\"不\" / cannot refuse a case in state {case['state']}")
        row = conn.execute(DIRECTOR_DEADLINE, (case_id,)).fetchone()
        due = row[0] if row else None
        if due is not None and now > due:
            raise Conflict(f"最终答复期限 {due.isoformat()} 已过,须提交市领导 / the final-no deadline has passed; "
                           "escalate to city leadership")
        conn.execute(INSERT_REFUSAL, (case_id, now, actor, role, 4, None, True, reason, suggestion, due))
        clock_repo.meet_clocks(conn, case_id, ["accept", "dispatch", "arrive"], at=now, outcome="refused")
        clock_repo.meet_clocks(conn, case_id, ["reply"], at=now)
        conn.execute(SET_FINAL_NO, (now, case_id))
        record_event(conn, case_id, "final_no", actor=actor, role=role, at=now, from_state=case["state"],
                     to_state="replied", reason=reason, data={"suggestion": suggestion})
    return {"case_id": case_id, "state": "replied", "outcome": "final_no"}
