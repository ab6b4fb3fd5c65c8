"""The one-case-at-a-time ``open_case`` / ``attach_complaint`` as they were before the bulk path
(main at daffc58), kept verbatim as the oracle the bulk functions are compared with row by row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dispatch import clocks, lifecycle
from dispatch.assignment import MATCH_ROUTING, TEAM_OF_GRID, Assignment, grid_at
from dispatch.cases import NewCase
from dispatch.deadlines import PRIORITIES
from dispatch.events import record_event
from dispatch.orders import CANCEL_ORDERS, INSERT_ORDER
from dispatch.policy import load_policy
from envpetition.errors import InvalidInput, NotFound

INSERT_CASE = """
insert into cases (state, priority, title, categories, team_id, lead_department, community_id,
                   enterprise_id, grid_id, lon, lat, proactive, opened_at, updated_at)
values ('registered', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
returning id
"""
LINK_COMPLAINT = "update complaints set case_id = %s where id = %s"
LEAST_LOADED = """
select t.id from teams t left join cases c on c.team_id = t.id and c.closed_at is null
where t.active group by t.id order by count(c.id), t.id limit 1
"""
SELECT_ORDER_CONTENT = """
select c.id, c.title, c.priority, c.categories, c.lon, c.lat, com.name as community, ent.name as enterprise,
       t.name as team,
       (select min(due_at) from clocks k where k.case_id = c.id and k.kind = 'arrive' and k.met_at is null) as arrive_due
from cases c join teams t on t.id = %s
left join areas com on com.id = c.community_id left join areas ent on ent.id = c.enterprise_id
where c.id = %s
"""
INSERT_TWO_EVENTS = """
insert into case_events (case_id, at, actor, role, kind, from_state, to_state, data) values
    (%(case)s, %(now)s, %(actor)s, 'system', 'accept', 'registered', 'accepted', '{}'),
    (%(case)s, %(now)s, %(actor)s, 'system', 'assign', 'accepted', 'assigned', %(data)s)
"""


def choose_team(
    conn: psycopg.Connection[Any], *, grid_id: int | None, categories: list[str], area_ids: list[int],
    lon: float | None = None, lat: float | None = None,
) -> Assignment:
    if grid_id is None and lon is not None and lat is not None:
        grid_id = grid_at(conn, lon, lat)
    if grid_id is not None:
        row = conn.execute(TEAM_OF_GRID, (grid_id,)).fetchone()
        if row:
            return Assignment(int(row[0]), None, "grid")
    areas = [a for a in (*area_ids, grid_id) if a is not None]
    row = conn.execute(MATCH_ROUTING, {"categories": categories, "areas": areas}).fetchone()
    if row:
        return Assignment(row[0], row[1], "routing")
    row = conn.execute(LEAST_LOADED).fetchone()
    if row:
        return Assignment(int(row[0]), None, "workload")
    return Assignment(None, None, "none")


def queue_order(conn: psycopg.Connection[Any], case_id: int, team_id: int, *, now: datetime) -> int:
    conn.execute(CANCEL_ORDERS, (case_id,))
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SELECT_ORDER_CONTENT, (team_id, case_id)).fetchone()
    if row is None:
        raise NotFound(f"案件 {case_id} 或执法队 {team_id} 不存在 / no case {case_id} or team {team_id}")
    payload = {"case_id": case_id, "team_id": team_id, **{k: v for k, v in row.items() if k != "id"}}
    payload["arrive_due"] = payload["arrive_due"].isoformat() if payload["arrive_due"] else None
    inserted = conn.execute(INSERT_ORDER, (case_id, team_id, '', Jsonb(payload), now, now)).fetchone()
    assert inserted is not None
    return int(inserted[0])


def auto_accept_and_assign(conn: psycopg.Connection[Any], case_id: int, team_id: int, *, actor: str,
                           now: datetime) -> None:
    clocks.meet_clocks(conn, case_id, ["accept", "dispatch"], at=now)
    conn.execute("update cases set state = 'assigned', team_id = %s, updated_at = %s where id = %s and state = 'registered'",
                 (team_id, now, case_id))
    conn.execute(INSERT_TWO_EVENTS, {"case": case_id, "now": now, "actor": actor,
                                     "data": Jsonb({"team_id": team_id, "automatic": True})})
    queue_order(conn, case_id, team_id, now=now)


def open_case(conn: psycopg.Connection[Any], new: NewCase, *, actor: str, role: str | None, now: datetime) -> int:
    if new.priority not in PRIORITIES:
        raise InvalidInput(f"未知优先级 {new.priority!r} / unknown priority; use {', '.join(PRIORITIES)}")
    if not new.title.strip():
        raise InvalidInput("案件标题不能为空 / case title must not be empty")
    chosen = None
    team_id = new.team_id
    if team_id is None:
        chosen = choose_team(
            conn, grid_id=new.grid_id, categories=new.categories,
            area_ids=[a for a in (new.community_id, new.enterprise_id) if a is not None], lon=new.lon, lat=new.lat)
        team_id = chosen.team_id
    row = conn.execute(
        INSERT_CASE,
        (new.priority, new.title, new.categories, team_id, new.lead_department, new.community_id,
         new.enterprise_id, new.grid_id, new.lon, new.lat, new.proactive, new.opened_at, now),
    ).fetchone()
    assert row is not None
    case_id = int(row[0])
    record_event(conn, case_id, "registered", actor=actor, role=role, at=now, to_state="registered",
                 data={"assignment": chosen.basis} if chosen else None)
    clocks.start_policy_clocks(conn, case_id, load_policy(conn), priority=new.priority, received=new.opened_at)
    if chosen is not None and chosen.department and chosen.team_id is None:
        lifecycle.add_department(conn, case_id, chosen.department, now=now)
    if new.auto_dispatch and team_id is not None:
        auto_accept_and_assign(conn, case_id, team_id, actor=actor, now=now)
    return case_id


def attach_complaint(conn: psycopg.Connection[Any], case_id: int, complaint_id: int, *, actor: str, now: datetime) -> None:
    conn.execute(LINK_COMPLAINT, (case_id, complaint_id))
    record_event(conn, case_id, "complaint_attached", actor=actor, role=None, at=now, data={"complaint_id": complaint_id})
