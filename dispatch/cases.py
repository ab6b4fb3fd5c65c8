"""Opening cases and attaching complaints: the contract ``ingest`` and ``monitoring`` call.

``open_cases`` / ``attach_complaints`` do many at once with the same rows as one call per item;
``open_case`` / ``attach_complaint`` are the one-item forms; ``take_complaints`` is an import batch's
one call (open its new cases, record every complaint on its case) and returns the case ids, which the
caller writes on its own complaints: dispatch never writes ingest's tables.

``open_case`` registers the case, starts the policy clocks from ``opened_at`` (the receipt time),
finds the team (grid → routing table → workload, ``dispatch.assignment``) when none is given and,
with ``auto_dispatch`` (default), accepts and assigns it and queues the MQTT dispatch order.
``open_case`` and ``take_complaints`` own their transaction (a savepoint inside the caller's, when one
is open); the bulk forms are single COPY passes run inside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch import assignment, clocks, orders
from dispatch.deadlines import PRIORITIES
from dispatch.events import copy_events
from dispatch.policy import calendar_around, load_policy
from envpetition.db import copy_rows
from envpetition.errors import InvalidInput

NEXT_CASE_IDS = "select nextval('cases_id_seq') from generate_series(1, %s)"
COPY_CASES = """
copy cases (id, state, priority, title, categories, team_id, lead_department, community_id, enterprise_id,
            grid_id, lon, lat, proactive, opened_at, updated_at) from stdin (format binary)
"""
CASE_TYPES = ("int8", "text", "text", "text", "text[]", "int8", "text", "int8", "int8", "int8", "float8", "float8",
              "bool", "timestamptz", "timestamptz")
COPY_DEPARTMENTS = "copy case_departments (case_id, department, is_lead, added_at) from stdin (format binary)"
DEPARTMENT_TYPES = ("int8", "text", "bool", "timestamptz")
AUTO_MET = ("accept", "dispatch")  # the clocks auto-dispatch meets at once


@dataclass(frozen=True)
class Joining:
    """A complaint joining a case: an existing one (``case_id``) or the ``new``-th case of the same call."""

    complaint_id: int
    at: datetime  # time of the ``complaint_attached`` event
    case_id: int | None = None
    new: int | None = None


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


def _event_times(now: datetime | Sequence[datetime], count: int) -> list[datetime]:
    if isinstance(now, datetime):
        return [now] * count
    times = list(now)
    if len(times) != count:
        raise ValueError(f"{len(times)} event times for {count} items")
    return times


def _check(new: NewCase) -> None:
    if new.priority not in PRIORITIES:
        raise InvalidInput(f"未知优先级 {new.priority!r} / unknown priority; use {', '.join(PRIORITIES)}")
    if not new.title.strip():
        raise InvalidInput("案件标题不能为空 / case title must not be empty")


def open_case(conn: psycopg.Connection[Any], new: NewCase, *, actor: str, role: str | None, now: datetime) -> int:
    """Register a case, start its clocks, assign and dispatch it when possible; return its id."""
    with conn.transaction():
        return open_cases(conn, [new], actor=actor, role=role, now=now)[0]


def open_cases(conn: psycopg.Connection[Any], news: Sequence[NewCase], *, actor: str, role: str | None,
               now: datetime | Sequence[datetime]) -> list[int]:
    """``open_case`` for many cases at once, in order; return their ids (ascending, in input order).

    ``now`` is the time of the cases' history events: one for all, or one per case (a history
    import registers each case at its complaint's receipt). The rows are exactly those of calling
    ``open_case`` on each in turn (the workload fallback counts the batch's earlier cases), written
    with COPY: the policy and the calendar are read once, the clocks computed in Python.
    """
    times = _event_times(now, len(news))
    for new in news:
        _check(new)
    if not news:
        return []
    with conn.transaction():
        return _open_cases(conn, news, times, actor=actor, role=role)


def _open_cases(conn: psycopg.Connection[Any], news: Sequence[NewCase], times: list[datetime], *, actor: str,
                role: str | None) -> list[int]:
    ids = [int(r[0]) for r in conn.execute(NEXT_CASE_IDS, (len(news),)).fetchall()]
    policy = load_policy(conn)
    calendar = calendar_around(conn, min(n.opened_at for n in news), max(n.opened_at for n in news))
    chooser = assignment.TeamChooser(conn)
    case_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    clock_rows: list[tuple[Any, ...]] = []
    departments: list[tuple[Any, ...]] = []
    dispatched: list[tuple[int, int, datetime, datetime | None]] = []
    for case_id, new, at in zip(ids, news, times, strict=True):
        chosen, team_id, lead = None, new.team_id, new.lead_department
        if team_id is None:
            chosen = chooser.choose(
                grid_id=new.grid_id, categories=new.categories,
                area_ids=[a for a in (new.community_id, new.enterprise_id) if a is not None], lon=new.lon, lat=new.lat)
            team_id = chosen.team_id
            if chosen.department and chosen.team_id is None:
                if not chosen.department.strip():
                    raise InvalidInput("部门不能为空 / department must not be empty")
                departments.append((case_id, chosen.department, True, at))
                lead = chosen.department  # the first department involved leads
        chooser.count(team_id)
        assigned = new.auto_dispatch and team_id is not None
        case_rows.append((case_id, "assigned" if assigned else "registered", new.priority, new.title, new.categories,
                          team_id, lead, new.community_id, new.enterprise_id, new.grid_id, new.lon, new.lat,
                          new.proactive, new.opened_at, at))
        event_rows.append((case_id, at, actor, role, "registered", None, "registered", None,
                           Jsonb({"assignment": chosen.basis} if chosen else {})))
        opening = clocks.opening_clock_rows(case_id, policy, calendar, priority=new.priority,
                                            received=new.opened_at, met=AUTO_MET if assigned else (), met_at=at)
        clock_rows += opening
        if assigned:  # registered → accepted → assigned, as the two transitions would record them
            event_rows.append((case_id, at, actor, "system", "accept", "registered", "accepted", None, Jsonb({})))
            event_rows.append((case_id, at, actor, "system", "assign", "accepted", "assigned", None,
                               Jsonb({"team_id": team_id, "automatic": True})))
            arrive_due = min((r[3] for r in opening if r[1] == "arrive" and r[9] is None), default=None)
            dispatched.append((case_id, team_id, at, arrive_due))  # type: ignore[arg-type]  # assigned: team set
    copy_rows(conn, COPY_CASES, CASE_TYPES, case_rows)
    copy_events(conn, event_rows)
    clocks.copy_clocks(conn, clock_rows)
    copy_rows(conn, COPY_DEPARTMENTS, DEPARTMENT_TYPES, departments)
    orders.queue_first_orders(conn, dispatched)
    return ids


def attach_complaint(conn: psycopg.Connection[Any], case_id: int, complaint_id: int, *, actor: str, now: datetime) -> None:
    """Record a complaint under a case (a burst, a duplicate, a proactive case the public confirmed)."""
    attach_complaints(conn, [(case_id, complaint_id)], actor=actor, now=now)


def attach_complaints(conn: psycopg.Connection[Any], pairs: Sequence[tuple[int, int]], *, actor: str,
                      now: datetime | Sequence[datetime]) -> None:
    """``attach_complaint`` for many (case id, complaint id) pairs: the ``complaint_attached`` events, in
    order, by COPY. The complaint's own row is its owner's to update."""
    times = _event_times(now, len(pairs))
    if not pairs:
        return
    copy_events(conn, [(case_id, at, actor, None, "complaint_attached", None, None, None,
                        Jsonb({"complaint_id": complaint_id}))
                       for (case_id, complaint_id), at in zip(pairs, times, strict=True)])


def take_complaints(conn: psycopg.Connection[Any], news: Sequence[NewCase], opened: Sequence[datetime],
                    joinings: Sequence[Joining], *, actor: str, role: str | None) -> list[int]:
    """Open ``news`` (history events at ``opened``) and attach each joining complaint; return its case id.

    One call per import batch: the cases first (clocks, teams, orders), then the attachments in order.
    """
    with conn.transaction():
        ids = open_cases(conn, news, actor=actor, role=role, now=opened)
        case_ids = [j.case_id if j.new is None else ids[j.new] for j in joinings]
        if any(c is None for c in case_ids):
            raise ValueError("a joining names neither a case nor a new case")
        attach_complaints(conn, [(c, j.complaint_id) for c, j in zip(case_ids, joinings, strict=True)],  # type: ignore[misc]
                          actor=actor, now=[j.at for j in joinings])
    return case_ids  # type: ignore[return-value]
