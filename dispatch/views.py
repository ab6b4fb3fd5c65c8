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
    "complaints": "select id, channel, external_id, received_at, text, address, categories, urgent "
                  "from complaints where case_id = %s order by received_at, id",
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


# --- Period figures for bulletins (cases opened in [start, end) unless said otherwise) -------------
TRANSFERS = """
select coalesce(nullif(e.reason, ''), '未说明') as reason, count(*) as n from case_events e
where e.kind = 'transfer' and e.at >= %(start)s and e.at < %(end)s group by 1 order by 2 desc
"""
ACCEPT_TIMELINESS = """
select count(*) filter (where k.outcome = 'met' or (k.met_at is null and k.due_at <= %(now)s)) as counted,
       count(*) filter (where k.outcome = 'met' and k.met_at <= k.due_at) as on_time
from clocks k join cases c on c.id = k.case_id
where k.kind = 'accept' and c.opened_at >= %(start)s and c.opened_at < %(end)s
"""
OVERDUE = """
select k.case_id, k.kind, k.due_at, c.title, c.level, c.priority, t.name as team,
       round((extract(epoch from (%(at)s - k.due_at)) / 86400)::numeric, 1) as days_over
from clocks k join cases c on c.id = k.case_id left join teams t on t.id = c.team_id
where k.due_at <= %(at)s and (k.met_at is null or k.met_at > %(at)s) and k.started_at < %(at)s
  and (k.outcome is null or k.outcome = 'met') and k.kind <> 'supervision'
order by k.due_at limit %(limit)s
"""
CLOSE_COHORT = """
select count(distinct c.id) as cases,
       count(distinct c.id) filter (where k.outcome = 'met' and k.met_at <= k.due_at) as closed_on_time,
       count(distinct c.id) filter (where k.outcome = 'met' and k.met_at > k.due_at) as closed_late,
       count(distinct c.id) filter (where k.met_at is null and k.due_at <= %(now)s) as open_overdue,
       count(distinct c.id) filter (where k.met_at is null and k.due_at > %(now)s) as open_in_time,
       count(distinct c.id) filter (where c.extended) as extended
from cases c join clocks k on k.case_id = c.id and k.kind = 'close'
where c.opened_at >= %(start)s and c.opened_at < %(end)s
"""
LADDER_MONTH = """
select (select count(*) from escalations e where e.fired_at >= %(start)s and e.fired_at < %(end)s) as escalation_steps,
       (select count(distinct e.case_id) from escalations e
         where e.fired_at >= %(start)s and e.fired_at < %(end)s and e.level_after is not null) as cases_rose,
       (select count(*) from refusals r where r.at >= %(start)s and r.at < %(end)s) as refusals,
       (select count(*) from refusals r where r.at >= %(start)s and r.at < %(end)s and r.final) as final_refusals,
       (select count(*) from supervision_orders s where s.issued_at >= %(start)s and s.issued_at < %(end)s) as supervision_orders,
       (select count(*) from supervision_orders s where s.issued_at >= %(start)s and s.issued_at < %(end)s
          and s.fulfilled_at is not null) as supervision_fulfilled
"""
CASE_SUMMARIES = """
select c.id, c.title, c.state, c.level, c.priority, c.categories, c.opened_at, c.closed_at, c.outcome,
       c.community_id, c.enterprise_id, t.name as team,
       extract(epoch from (coalesce(c.closed_at, %(now)s) - c.opened_at)) / 86400 as days_open,
       (select count(*) from escalations e where e.case_id = c.id) as escalations
from cases c left join teams t on t.id = c.team_id where c.id = any(%(ids)s)
"""
OPEN_CASES_IN = """
select c.id, c.title, c.state, c.level, c.priority, c.opened_at, t.name as team,
       (select min(k.due_at) from clocks k where k.case_id = c.id and k.met_at is null) as next_due
from cases c left join teams t on t.id = c.team_id
where c.closed_at is null and c.community_id = %(community)s order by c.opened_at desc limit 200
"""


def transfers_by_reason(conn: psycopg.Connection[Any], *, start: Any, end: Any) -> dict[str, int]:
    """Transfers to another unit recorded in [start, end), by the reason written."""
    return {r[0]: int(r[1]) for r in conn.execute(TRANSFERS, {"start": start, "end": end}).fetchall()}


def accept_timeliness(conn: psycopg.Connection[Any], *, start: Any, end: Any, now: Any) -> dict[str, int]:
    """Acceptance clocks of cases opened in [start, end): counted (met or due) and met on time."""
    row = conn.execute(ACCEPT_TIMELINESS, {"start": start, "end": end, "now": now}).fetchone()
    return {"counted": int(row[0] or 0), "on_time": int(row[1] or 0)} if row else {"counted": 0, "on_time": 0}


def overdue_clocks(conn: psycopg.Connection[Any], *, at: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Clocks past due at ``at`` and not met by then, longest overdue first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(OVERDUE, {"at": at, "limit": limit}).fetchall())


def close_cohort(conn: psycopg.Connection[Any], *, start: Any, end: Any, now: Any) -> dict[str, int]:
    """The statutory 60-day check on cases opened in [start, end): closed on time, late, still open."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(CLOSE_COHORT, {"start": start, "end": end, "now": now}).fetchone()
    return {k: int(v or 0) for k, v in (row or {}).items()}


def ladder_month(conn: psycopg.Connection[Any], *, start: Any, end: Any) -> dict[str, int]:
    """Escalation steps, cases that rose a level, refusals (final ones apart), supervision orders."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(LADDER_MONTH, {"start": start, "end": end}).fetchone()
    return {k: int(v or 0) for k, v in (row or {}).items()}


def case_summaries(conn: psycopg.Connection[Any], case_ids: list[int], *, now: Any) -> list[dict[str, Any]]:
    """Short rows for the given cases: state, level, team, days open, escalation steps."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(CASE_SUMMARIES, {"ids": case_ids, "now": now}).fetchall())


def open_cases_in_community(conn: psycopg.Connection[Any], community_id: int) -> list[dict[str, Any]]:
    """Open cases located in one community, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(OPEN_CASES_IN, {"community": community_id}).fetchall())
