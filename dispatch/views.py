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
       coalesce((select json_agg(json_build_object('received_at', x.received_at, 'channel', x.channel,
                                                   'text', x.text, 'address', x.address) order by x.received_at)
                 from complaints x where x.case_id = c.id), '[]') as complaints,
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
    """Per case: its point, what the complainants reported (text only, no identity) and exceedances."""
    with conn.cursor(row_factory=dict_row) as cur:
        return {row["case_id"]: row for row in cur.execute(CASE_EVIDENCE, (case_ids,)).fetchall()}


OPEN_NEAR = """
select c.id, c.title, c.state, c.priority, c.opened_at, c.lon, c.lat, c.categories, com.name as community,
       (select count(*) from complaints x where x.case_id = c.id) as complaints
from cases c left join areas com on com.id = c.community_id
where c.closed_at is null and c.state not in ('closed', 'archived', 'transferred')
  and ((%(community)s::bigint is not null and c.community_id = %(community)s)
       or (c.lon between %(lon)s - %(dlon)s and %(lon)s + %(dlon)s and c.lat between %(lat)s - %(dlat)s and %(lat)s + %(dlat)s))
order by c.opened_at desc limit 50
"""
IS_OPEN = "select closed_at is null and state not in ('closed', 'archived') from cases where id = %s"


def open_cases_near(conn: psycopg.Connection[Any], *, lon: float, lat: float, community_id: int | None,
                    radius_m: float) -> list[dict[str, Any]]:
    """Open cases in the community or within about ``radius_m`` (a bounding box; the caller ranks by distance)."""
    import math

    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.1))
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(OPEN_NEAR, {"community": community_id, "lon": lon, "lat": lat, "dlon": dlon,
                                       "dlat": dlat}).fetchall()


def is_open_case(conn: psycopg.Connection[Any], case_id: int) -> bool:
    row = conn.execute(IS_OPEN, (case_id,)).fetchone()
    return bool(row and row[0])
