"""Opening cases and attaching complaints: the contract ``ingest`` and ``monitoring`` call.

``open_case`` registers the case, starts the policy clocks from ``opened_at`` (the receipt time),
finds the team (grid → routing table → workload, ``dispatch.assignment``) when none is given and,
with ``auto_dispatch`` (default), accepts and assigns it and queues the MQTT dispatch order. It runs
in the caller's transaction (a savepoint when one is open) and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

INSERT_CASE = """
insert into cases (state, priority, title, categories, team_id, lead_department, community_id,
                   enterprise_id, grid_id, lon, lat, proactive, opened_at, updated_at)
values ('registered', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
returning id
"""
INSERT_EVENT = """
insert into case_events (case_id, at, actor, role, kind, from_state, to_state, reason, data)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
LINK_COMPLAINT = "update complaints set case_id = %s where id = %s"


@dataclass
class NewCase:
    """What is known when a case is opened (from a complaint, a burst of them, or an exceedance)."""

    title: str
    opened_at: datetime
    priority: str = "normal"
    categories: list[str] = field(default_factory=list)
    team_id: int | None = None
    lead_department: str | None = None
    community_id: int | None = None
    enterprise_id: int | None = None
    grid_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    proactive: bool = False
    auto_dispatch: bool = True  # accept + assign + queue the order when a team is known


def record_event(
    conn: psycopg.Connection[Any], case_id: int, kind: str, *, actor: str, role: str | None, at: datetime,
    from_state: str | None = None, to_state: str | None = None, reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event to the case's history."""
    conn.execute(INSERT_EVENT, (case_id, at, actor, role, kind, from_state, to_state, reason, Jsonb(data or {})))


def open_case(conn: psycopg.Connection[Any], new: NewCase, *, actor: str, role: str | None, now: datetime) -> int:
    """Register a case, start its clocks, assign and dispatch it when possible; return its id."""
    from dispatch import assignment, clocks, lifecycle
    from dispatch.deadlines import PRIORITIES
    from dispatch.policy import load_policy
    from envpetition.errors import InvalidInput

    if new.priority not in PRIORITIES:
        raise InvalidInput(f"未知优先级 {new.priority!r} / unknown priority; use {', '.join(PRIORITIES)}")
    if not new.title.strip():
        raise InvalidInput("案件标题不能为空 / case title must not be empty")
    chosen = None
    team_id = new.team_id
    if team_id is None:
        chosen = assignment.choose_team(
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
        lifecycle.auto_accept_and_assign(conn, case_id, team_id, actor=actor, now=now)
    return case_id


def attach_complaint(conn: psycopg.Connection[Any], case_id: int, complaint_id: int, *, actor: str, now: datetime) -> None:
    """Group a complaint under a case (a burst, a duplicate, a proactive case the public confirmed)."""
    conn.execute(LINK_COMPLAINT, (case_id, complaint_id))
    record_event(conn, case_id, "complaint_attached", actor=actor, role=None, at=now, data={"complaint_id": complaint_id})
