"""Read views of dispatch's tables: one case with its history, the boards, case lists. No complainant identity.

Other packages and the pages read cases, clocks, events and orders only through these functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.deadlines import used_pct
from envpetition import views as core_views
from envpetition.errors import NotFound

CASE = """
select c.id, c.state, c.priority, c.level, c.title, c.categories, c.team_id, c.lead_department,
       c.community_id, c.enterprise_id, c.grid_id, c.lon, c.lat, c.proactive, c.opened_at, c.closed_at,
       c.outcome, c.reopened_count, c.extended
from cases c
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
       c.title, c.priority, c.level, c.state, c.team_id
from clocks k join cases c on c.id = k.case_id
where k.met_at is null and c.closed_at is null and (%(team)s::bigint is null or c.team_id = %(team)s)
order by k.due_at limit %(limit)s
"""


def case_detail(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        case = cur.execute(CASE, (case_id,)).fetchone()
        if case is None:
            raise NotFound(f"案件 {case_id} 不存在 / no case {case_id}")
        core_views.with_names(conn, [case], team=True, areas=("community", "enterprise", "grid"))
        for name, sql in PARTS.items():
            case[name] = cur.execute(sql, (case_id,)).fetchall()
    return case


def clock_board(conn: psycopg.Connection[Any], *, now: datetime, team_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Running clocks, soonest due first, with the share of time used."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CLOCK_BOARD, {"team": team_id, "limit": limit}).fetchall()
    core_views.with_names(conn, rows, team=True, drop_ids=("team_id",))
    return [_with_used_pct(row, now) for row in rows]


def _with_used_pct(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The row with the share of its clock used (``used_pct``, the one share-of-clock rule)."""
    row["used_pct"] = used_pct(row["started_at"], row["due_at"], now)
    return row


# A case's next due time: its soonest running clock; a paused clock is not running (the one next-due rule).
NEXT_DUE = "(select min(k.due_at) from clocks k where k.case_id = c.id and k.met_at is null and not k.paused)"
OPEN_CASES = """
select c.id, c.title, c.state, c.priority, c.level, c.team_id, c.opened_at, c.categories,
       c.lead_department, c.community_id, c.enterprise_id,
       k.kind as clock_kind, k.due_at, k.started_at,
       coalesce((select array_agg(distinct f.kind) from accountability_flags f where f.case_id = c.id), '{}') as flags,
       coalesce((select json_agg(json_build_object('id', s.id, 'instruction', s.instruction, 'deadline_at', s.deadline_at,
                                                   'issued_by', s.issued_by) order by s.deadline_at)
                 from supervision_orders s where s.case_id = c.id and s.fulfilled_at is null), '[]') as supervision,
       (select json_build_object('id', o.id, 'state', o.state) from dispatch_orders o
         where o.case_id = c.id and o.state in ('queued', 'sent') order by o.id desc limit 1) as pending_order
from cases c
left join lateral (select kind, due_at, started_at from clocks
                   where case_id = c.id and met_at is null and not paused order by due_at limit 1) k on true
where c.closed_at is null and c.state not in ('closed', 'archived')
  and (%(level)s::int is null or c.level = %(level)s)
  and (%(team)s::bigint is null or c.team_id = %(team)s)
order by c.level desc, k.due_at nulls last, c.id
limit %(limit)s
"""
LATEST_OPENED = "select max(opened_at) from cases"
OPENED_SPAN = "select min(opened_at), max(opened_at) from cases"
CASE_LADDER = """
select at, kind, reason, data from case_events
where case_id = %s and kind in ('escalated', 'time_escalated', 'final_no') order by at, id
"""
CASE_LIST = """
select c.id, c.state, c.priority, c.level, c.title, c.categories, c.opened_at, c.closed_at,
       c.team_id, c.community_id, c.enterprise_id,
       """ + NEXT_DUE + """ as next_due
from cases c
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
    core_views.with_names(conn, rows, team=True, areas=("community", "enterprise"),
                          drop_ids=("community_id", "enterprise_id"))
    return [_with_used_pct(row, now) for row in rows]


def teams(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """The active teams (id, name), in id order."""
    return core_views.active_teams(conn)


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
        rows = cur.execute(CASE_LIST, {"state": state, "limit": limit, "offset": offset}).fetchall()
    return core_views.with_names(conn, rows, team=True, areas=("community", "enterprise"),
                                 drop_ids=("team_id", "community_id", "enterprise_id"))


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

# The team app: a team's orders with what the team needs on site.
FIELD_ACTIONS_OF = """
select client_action_id, case_id, action, actor, device_at, received_at, recorded_at, time_flag, text, lon, lat,
       accuracy_m, distance_m, outcome, message
from field_actions where case_id = any(%s) order by recorded_at, received_at
"""
ATTACHMENTS_OF = """
select id, case_id, client_action_id, filename, content_type, size_bytes, width, height, exif_lon, exif_lat,
       uploaded_at, uploaded_by
from field_attachments where case_id = any(%s) order by id
"""
ATTACHMENT_CONTENT = "select case_id, filename, content_type, content from field_attachments where id = %s"
SITE_HISTORY = """
select o.id as for_case, h.id, h.title, h.state, h.opened_at, h.closed_at, h.outcome, h.categories
from cases o
cross join lateral (
    select c.id, c.title, c.state, c.opened_at, c.closed_at, c.outcome, c.categories from cases c
    where c.id <> o.id and ((o.community_id is not null and c.community_id = o.community_id)
                            or (o.enterprise_id is not null and c.enterprise_id = o.enterprise_id))
    order by c.opened_at desc limit %(limit)s) h
where o.id = any(%(ids)s)
order by o.id, h.opened_at desc
"""
CASE_EVIDENCE = """
select c.id as case_id, c.lon, c.lat, c.community_id, c.enterprise_id,
       coalesce((select json_agg(json_build_object('at', e.at, 'data', e.data) order by e.at)
                 from case_events e where e.case_id = c.id and e.kind = 'exceedance_evidence'), '[]') as exceedances
from cases c where c.id = any(%s)
"""


def field_actions(conn: psycopg.Connection[Any], case_ids: list[int]) -> list[dict[str, Any]]:
    """The field actions recorded for these cases (arrival distance, time flags), oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(FIELD_ACTIONS_OF, (case_ids,)).fetchall()


def attachments(conn: psycopg.Connection[Any], case_ids: list[int]) -> list[dict[str, Any]]:
    """Attachment metadata for these cases (no bytes); EXIF position for staff views only."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(ATTACHMENTS_OF, (case_ids,)).fetchall()


def attachment_content(conn: psycopg.Connection[Any], attachment_id: int) -> dict[str, Any]:
    """One stored file (bytes, type, name, case); the route checks who may see the case."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(ATTACHMENT_CONTENT, (attachment_id,)).fetchone()
    if row is None:
        raise NotFound(f"附件 {attachment_id} 不存在 / no attachment {attachment_id}")
    return row


def site_history(conn: psycopg.Connection[Any], case_ids: list[int], limit: int = 8) -> dict[int, list[dict[str, Any]]]:
    """Per case: other cases at the same community or enterprise, newest first (one query for all)."""
    history: dict[int, list[dict[str, Any]]] = {case_id: [] for case_id in case_ids}
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(SITE_HISTORY, {"ids": case_ids, "limit": limit}).fetchall():
            history[row.pop("for_case")].append(row)
    return history


def case_evidence(conn: psycopg.Connection[Any], case_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per case: its point, community and enterprise ids, and the monitoring exceedances attached to it."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["case_id"]: row for row in cur.execute(CASE_EVIDENCE, (case_ids,)).fetchall()}


OPEN_NEAR = """
select c.id, c.title, c.state, c.priority, c.opened_at, c.lon, c.lat, c.categories, c.community_id
from cases c
where c.closed_at is null and c.state not in ('closed', 'archived', 'transferred')
  and ((%(community)s::bigint is not null and c.community_id = %(community)s)
       or (c.lon between %(lon)s - %(dlon)s and %(lon)s + %(dlon)s and c.lat between %(lat)s - %(dlat)s and %(lat)s + %(dlat)s))
order by c.opened_at desc limit 50
"""
IS_OPEN = "select closed_at is null and state not in ('closed', 'archived') from cases where id = %s"


def open_cases_near(conn: psycopg.Connection[Any], *, lon: float, lat: float, community_id: int | None,
                    radius_m: float) -> list[dict[str, Any]]:
    """Open cases in the community or within about ``radius_m`` (a bounding box; the caller ranks by distance)."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.1))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(OPEN_NEAR, {"community": community_id, "lon": lon, "lat": lat, "dlon": dlon,
                                       "dlat": dlat}).fetchall()
    return core_views.with_names(conn, rows, areas=("community",), drop_ids=("community_id",))


def is_open_case(conn: psycopg.Connection[Any], case_id: int) -> bool:
    row = conn.execute(IS_OPEN, (case_id,)).fetchone()
    return bool(row and row[0])

CASE_OPENINGS = "select id, closed_at is null, opened_at from cases where id = any(%s)"


def case_openings(conn: psycopg.Connection[Any], case_ids: set[int]) -> dict[int, tuple[bool, Any]]:
    """For each case id: (still open, opened at) — what the duplicate rules need of a stored case."""
    if not case_ids:
        return {}
    return {int(i): (bool(o), at) for i, o, at in conn.execute(CASE_OPENINGS, (sorted(case_ids),)).fetchall()}


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
select k.case_id, k.kind, k.due_at, c.title, c.level, c.priority, c.team_id,
       round((extract(epoch from (%(at)s - k.due_at)) / 86400)::numeric, 1) as days_over
from clocks k join cases c on c.id = k.case_id
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
       c.community_id, c.enterprise_id, c.team_id,
       extract(epoch from (coalesce(c.closed_at, %(now)s) - c.opened_at)) / 86400 as days_open,
       (select count(*) from escalations e where e.case_id = c.id) as escalations
from cases c where c.id = any(%(ids)s)
"""
OPEN_CASES_IN = """
select c.id, c.title, c.state, c.level, c.priority, c.opened_at, c.team_id,
       """ + NEXT_DUE + """ as next_due
from cases c
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
        rows = list(cur.execute(OVERDUE, {"at": at, "limit": limit}).fetchall())
    return core_views.with_names(conn, rows, team=True, drop_ids=("team_id",))


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
        rows = list(cur.execute(CASE_SUMMARIES, {"ids": case_ids, "now": now}).fetchall())
    return core_views.with_names(conn, rows, team=True, drop_ids=("team_id",))


def open_cases_in_community(conn: psycopg.Connection[Any], community_id: int) -> list[dict[str, Any]]:
    """Open cases located in one community, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = list(cur.execute(OPEN_CASES_IN, {"community": community_id}).fetchall())
    return core_views.with_names(conn, rows, team=True, drop_ids=("team_id",))
