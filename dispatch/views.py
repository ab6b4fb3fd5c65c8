"""Read views of dispatch's tables: one case with its history, the boards, case lists. No complainant identity.

Other packages and the pages read cases, clocks, events and orders only through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.deadlines import used_pct
from envpetition.errors import NotFound

CASE = """
select c.id, c.state, c.priority, c.level, c.title, c.categories, c.team_id, t.name as team, c.lead_department,
       c.community_id, c.enterprise_id, c.grid_id, c.lon, c.lat, c.proactive, c.opened_at, c.closed_at,
       c.outcome, c.reopened_count, c.extended,
       com.name as community, ent.name as enterprise, g.name as grid
from cases c left join teams t on t.id = c.team_id
left join areas com on com.id = c.community_id
left join areas ent on ent.id = c.enterprise_id
left join areas g on g.id = c.grid_id
where c.id = %s
"""
PARTS = {
    "events": "select id, at, actor, role, kind, from_state, to_state, reason, data from case_events where case_id = %s order by at, id",
    "clocks": "select id, kind, started_at, due_at, base_due_at, met_at, outcome, policy_version, paused, next_threshold "
              "from clocks where case_id = %s order by started_at, id",
    "escalations": "select clock_id, threshold, fired_at from escalations where case_id = %s order by fired_at, id",
    "orders": "select id, team_id, topic, state, attempts, created_at, sent_at, acked_at, acked_by "
              "from dispatch_orders where case_id = %s order by id",
    "refusals": "select at, actor, role, from_level, to_level, final, reason, suggestion, due_at from refusals "
                "where case_id = %s order by at",
    "supervision_orders": "select id, issued_by, issued_at, instruction, deadline_at, fulfilled_at, source "
                          "from supervision_orders where case_id = %s order by id",
    "departments": "select department, is_lead, added_at from case_departments where case_id = %s order by added_at",
    "votes": "select at, verdict, comment, via from satisfaction_votes where case_id = %s order by at",
    "flags": "select kind, level, actor, at from accountability_flags where case_id = %s order by at",
}
CLOCK_BOARD = """
select k.id as clock_id, k.case_id, k.kind, k.started_at, k.due_at, k.paused,
       c.title, c.priority, c.level, c.state, t.name as team
from clocks k join cases c on c.id = k.case_id left join teams t on t.id = c.team_id
where k.met_at is null and c.closed_at is null and (%(team)s::bigint is null or c.team_id = %(team)s)
order by k.due_at limit %(limit)s
"""


def case_detail(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        case = cur.execute(CASE, (case_id,)).fetchone()
        if case is None:
            raise NotFound(f"案件 {case_id} 不存在 / no case {case_id}")
        for name, sql in PARTS.items():
            case[name] = cur.execute(sql, (case_id,)).fetchall()
    return case


def clock_board(conn: psycopg.Connection[Any], *, now: datetime, team_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Running clocks, soonest due first, with the share of time used."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CLOCK_BOARD, {"team": team_id, "limit": limit}).fetchall()
    return [_with_used_pct(row, now) for row in rows]


def _with_used_pct(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The row with the share of its clock used (``used_pct``, the one share-of-clock rule)."""
    row["used_pct"] = used_pct(row["started_at"], row["due_at"], now)
    return row


# A case's next due time: its soonest running clock; a paused clock is not running (the one next-due rule).
NEXT_DUE = "(select min(k.due_at) from clocks k where k.case_id = c.id and k.met_at is null and not k.paused)"
OPEN_CASES = """
select c.id, c.title, c.state, c.priority, c.level, c.team_id, t.name as team, c.opened_at, c.categories,
       c.lead_department, com.name as community, ent.name as enterprise,
       k.kind as clock_kind, k.due_at, k.started_at,
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
OPENED_SPAN = "select min(opened_at), max(opened_at) from cases"
CASE_LADDER = """
select at, kind, reason, data from case_events
where case_id = %s and kind in ('escalated', 'time_escalated', 'final_no') order by at, id
"""
CASE_LIST = """
select c.id, c.state, c.priority, c.level, c.title, c.categories, c.opened_at, c.closed_at,
       t.name as team, com.name as community, ent.name as enterprise,
       """ + NEXT_DUE + """ as next_due
from cases c
left join teams t on t.id = c.team_id
left join areas com on com.id = c.community_id
left join areas ent on ent.id = c.enterprise_id
where (%(state)s::text is null or c.state = %(state)s)
order by c.opened_at desc, c.id desc
limit %(limit)s offset %(offset)s
"""
CASE_STATUS = """
select c.id, c.state, c.closed_at, c.updated_at,
       """ + NEXT_DUE + """ as next_due
from cases c where c.id = any(%s)
"""
FLAGS = "select id, case_id, clock_id, kind, level, team_id, actor, at from accountability_flags order by at desc limit %s"
CASE_BRIEF = "select id, title, categories, lon, lat, opened_at, enterprise_id from cases where id = %s"
OPEN_PROACTIVE_CASE = """
select id from cases where proactive and closed_at is null and community_id = %s and opened_at >= %s
order by opened_at desc limit 1
"""
TABLE_COUNTS = """
select 'cases', count(*) from cases union all
select 'clocks', count(*) from clocks union all
select 'case_events', count(*) from case_events union all
select 'dispatch_orders', count(*) from dispatch_orders
"""


def open_cases(conn: psycopg.Connection[Any], *, now: datetime, level: int | None = None,
               team_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Open cases, highest ladder level first, then the soonest running clock, with flags and open orders."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(OPEN_CASES, {"level": level, "team": team_id, "limit": limit}).fetchall()
    return [_with_used_pct(row, now) for row in rows]


def teams(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """The active teams (id, name), in id order."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(TEAMS).fetchall()


def latest_opened(conn: psycopg.Connection[Any]) -> datetime | None:
    """When the newest case was opened (None without cases)."""
    row = conn.execute(LATEST_OPENED).fetchone()
    return row[0] if row else None


def opened_span(conn: psycopg.Connection[Any]) -> tuple[datetime, datetime] | None:
    """When the first and the newest case were opened (None without cases)."""
    row = conn.execute(OPENED_SPAN).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def ladder_history(conn: psycopg.Connection[Any], case_id: int) -> list[dict[str, Any]]:
    """Escalations (by a person's "no" or by time) and a final no, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_LADDER, (case_id,)).fetchall()


def case_list(conn: psycopg.Connection[Any], *, state: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Cases, newest first, with team, places and next due time."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_LIST, {"state": state, "limit": limit, "offset": offset}).fetchall()


def case_status(conn: psycopg.Connection[Any], case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """State, closing and update times and the next due time of each of these cases, by id."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["id"]: row for row in cur.execute(CASE_STATUS, (list(case_ids),)).fetchall()}


def next_due(conn: psycopg.Connection[Any], case_id: int) -> datetime | None:
    """The next due time of a case (None when no clock runs)."""
    status = case_status(conn, [case_id]).get(case_id)
    return status["next_due"] if status else None


def accountability_flags(conn: psycopg.Connection[Any], limit: int = 500) -> list[dict[str, Any]]:
    """The newest accountability flags."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(FLAGS, (limit,)).fetchall()


def case_brief(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any] | None:
    """A case's title, categories, point, opening time and enterprise (None when it does not exist)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_BRIEF, (case_id,)).fetchone()


def open_proactive_case(conn: psycopg.Connection[Any], community_id: int, since: datetime) -> int | None:
    """The newest open proactive case of a community opened since ``since``."""
    row = conn.execute(OPEN_PROACTIVE_CASE, (community_id, since)).fetchone()
    return int(row[0]) if row else None


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Row counts of dispatch's main tables (the home page's summary)."""
    return {name: int(n) for name, n in conn.execute(TABLE_COUNTS).fetchall()}


CASE_OPENINGS = "select id, closed_at is null, opened_at from cases where id = any(%s)"


def case_openings(conn: psycopg.Connection[Any], case_ids: set[int]) -> dict[int, tuple[bool, Any]]:
    """For each case id: (still open, opened at) — what the duplicate rules need of a stored case."""
    if not case_ids:
        return {}
    return {int(i): (bool(o), at) for i, o, at in conn.execute(CASE_OPENINGS, (sorted(case_ids),)).fetchall()}
