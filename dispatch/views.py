"""Read views of dispatch: one case with its whole history, the clock board. No complainant identity."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

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
       round((extract(epoch from (%(now)s - k.started_at)) / nullif(extract(epoch from (k.due_at - k.started_at)), 0) * 100)::numeric, 1) as used_pct,
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


def clock_board(conn: psycopg.Connection[Any], *, now: Any, team_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Running clocks, soonest due first, with the share of time used."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CLOCK_BOARD, {"now": now, "team": team_id, "limit": limit}).fetchall()


CASE_OPENINGS = "select id, closed_at is null, opened_at from cases where id = any(%s)"


def case_openings(conn: psycopg.Connection[Any], case_ids: set[int]) -> dict[int, tuple[bool, Any]]:
    """For each case id: (still open, opened at) — what the duplicate rules need of a stored case."""
    if not case_ids:
        return {}
    return {int(i): (bool(o), at) for i, o, at in conn.execute(CASE_OPENINGS, (sorted(case_ids),)).fetchall()}


def case_progress(conn: psycopg.Connection[Any], case_id: int | None) -> dict[str, Any]:
    """What a complainant may see of their case: its state, when it closed, the next open deadline."""
    found = case_summaries(conn, {case_id}).get(case_id, {}) if case_id is not None else {}
    return {"case_state": found.get("state"), "case_closed_at": found.get("closed_at"),
            "expected_datetime": found.get("expected")}


CASE_SUMMARIES = """
select c.id, c.state, c.closed_at, c.updated_at,
       (select min(k.due_at) from clocks k where k.case_id = c.id and k.met_at is null) as expected
from cases c where c.id = any(%s)
"""


def case_summaries(conn: psycopg.Connection[Any], case_ids: set[int]) -> dict[int, dict[str, Any]]:
    """For each case id: state, closed_at, updated_at and the next open deadline (``expected``)."""
    if not case_ids:
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CASE_SUMMARIES, (sorted(case_ids),)).fetchall()
    return {int(r.pop("id")): r for r in rows}
