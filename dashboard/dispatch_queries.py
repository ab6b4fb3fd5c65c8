"""Read-only SQL for the dispatch pages (board, team orders, receipt). No complainant identity here.

dispatch/views.py has one case and the clock board; the pages also need the open cases with their
next clock, flags and open supervision orders in one read, and a team's cases with their site.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch import views
from dispatch.states import TRANSITIONS
from envpetition.localtime import LOCAL_TZ
from ingest.intake import complaints_of_case

OPEN_CASES = """
select c.id, c.title, c.state, c.priority, c.level, c.team_id, t.name as team, c.opened_at, c.categories,
       c.lead_department, com.name as community, ent.name as enterprise,
       (select x.address from complaints x where x.case_id = c.id and x.address is not null order by x.id limit 1) as address,
       k.kind as clock_kind, k.due_at, k.started_at,
       round((extract(epoch from (%(now)s - k.started_at)) / nullif(extract(epoch from (k.due_at - k.started_at)), 0) * 100)::numeric, 0) as used_pct,
       coalesce((select array_agg(distinct f.kind) from accountability_flags f where f.case_id = c.id), '{}') as flags,
       coalesce((select json_agg(json_build_object('id', s.id, 'instruction', s.instruction, 'deadline_at', s.deadline_at,
                                                   'issued_by', s.issued_by) order by s.deadline_at)
                 from supervision_orders s where s.case_id = c.id and s.fulfilled_at is null), '[]') as supervision,
       (select json_build_object('id', o.id, 'state', o.state) from dispatch_orders o
         where o.case_id = c.id and o.state in ('queued', 'sent') order by o.id desc limit 1) as pending_order
from cases c
left join teams t on t.id = c.team_id
left join areas com on com.id = c.community_id
left join areas ent on ent.id = c.enterprise_id
left join lateral (select kind, due_at, started_at from clocks
                   where case_id = c.id and met_at is null and not paused order by due_at limit 1) k on true
where c.closed_at is null and c.state not in ('closed', 'archived')
  and (%(level)s::int is null or c.level = %(level)s)
  and (%(team)s::bigint is null or c.team_id = %(team)s)
order by c.level desc, k.due_at nulls last, c.id
limit %(limit)s
"""
TEAMS = "select id, name from teams where active order by id"
LATEST_OPENED = "select max(opened_at) from cases"
CASE_LADDER = """
select at, kind, reason, data from case_events
where case_id = %s and kind in ('escalated', 'time_escalated', 'final_no') order by at, id
"""

TEAM_ACTIONS = ("depart", "arrive", "investigate", "reply", "return")


def open_cases(conn: psycopg.Connection[Any], *, now: datetime, level: int | None = None,
               team_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Open cases, highest ladder level first, then the soonest running clock."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(OPEN_CASES, {"now": now, "level": level, "team": team_id, "limit": limit}).fetchall()


def teams(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(TEAMS).fetchall()


def ladder_history(conn: psycopg.Connection[Any], case_id: int) -> list[dict[str, Any]]:
    """Escalations (by a person's "no" or by time) and a final no, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_LADDER, (case_id,)).fetchall()


def latest_month(conn: psycopg.Connection[Any], today: date) -> date:
    """The month of the newest case (the KPI page's default), else this month."""
    row = conn.execute(LATEST_OPENED).fetchone()
    moment = row[0] if row and row[0] else None
    day = moment.astimezone(LOCAL_TZ).date() if moment else today
    return day.replace(day=1)


def used_class(used_pct: Any) -> str:
    """Colour band of a clock's used share: 50 / 80 / 100 / 150 % (the escalation thresholds)."""
    if used_pct is None:
        return ""
    used = float(used_pct)
    for threshold in (150, 100, 80, 50):
        if used >= threshold:
            return f"u{threshold}"
    return "u0"


def overdue_text(due_at: datetime | None, now: datetime) -> str:
    """How long past due, for people: 超期 3 天 / 超期 5 小时; empty when not due yet."""
    if due_at is None or due_at > now:
        return ""
    hours = int((now - due_at).total_seconds() // 3600)
    return f"超期 {hours // 24} 天" if hours >= 48 else f"超期 {hours} 小时"


def decorate(cases: list[dict[str, Any]], now: datetime) -> None:
    """Colour band and overdue text of each case's next clock."""
    for case in cases:
        case["used_class"] = used_class(case["used_pct"])
        case["overdue"] = overdue_text(case["due_at"], now)


def actions_for(state: str, role: str) -> list[str]:
    """The field actions this role may take on a case in this state (dispatch's transition table decides)."""
    return [a for a in TEAM_ACTIONS
            if state in TRANSITIONS[a].sources and (role == "admin" or role in TRANSITIONS[a].roles)]


def case_with_complaints(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any]:
    """Dispatch's view of a case with ingest's complaints grouped under it."""
    case = views.case_detail(conn, case_id)
    case["complaints"] = complaints_of_case(conn, case_id)
    return case
