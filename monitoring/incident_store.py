"""Incidents in the database: add complaints as they arrive (open, grow, merge), record investigations.

Complaints belong to ``ingest/`` and monitoring may not import it, so the caller passes the
complaints in (:class:`IncomingComplaint`): the wiring layer (``envpetition incidents sync``, the
demo, the intake page) reads them through ``ingest``'s views and hands them over. What the
clustering and the trace need is kept in ``incident_complaints``; the complainant is never there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from envpetition.errors import InvalidInput, NotFound
from envpetition.geo_crs import metric_crs_for, to_metric
from envpetition.views import current_area_rows
from monitoring.incidents import GROUPS, Group, decide, group_of
from monitoring.odour_profiles import descriptors

NEIGHBOURS = """
select ic.incident_id from incident_complaints ic join incidents i on i.id = ic.incident_id
where i.category_group = %(group)s and ic.received_at between %(t0)s and %(t1)s
  and ic.x between %(x)s - %(eps)s and %(x)s + %(eps)s and ic.y between %(y)s - %(eps)s and %(y)s + %(eps)s
  and (ic.x - %(x)s) ^ 2 + (ic.y - %(y)s) ^ 2 <= %(eps)s ^ 2
"""
OPEN = """
insert into incidents (category_group, started_at, ended_at, size, lon, lat, created_at, updated_at)
values (%s, %s, %s, 0, %s, %s, %s, %s) returning id
"""
ADD_MEMBER = """
insert into incident_complaints (complaint_id, incident_id, case_id, received_at, lon, lat, x, y, categories,
                                 descriptors, added_at)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict (complaint_id) do nothing
"""
MOVE_MEMBERS = "update incident_complaints set incident_id = %s where incident_id = any(%s)"
MARK_MERGED = "update incidents set merged_into = %s, size = 0, updated_at = %s where id = any(%s)"
REFRESH = """
update incidents i set started_at = s.t0, ended_at = s.t1, size = s.n, lon = s.lon, lat = s.lat, updated_at = %s
from (select min(received_at) t0, max(received_at) t1, count(*) n, avg(lon) lon, avg(lat) lat
      from incident_complaints where incident_id = %s) s
where i.id = %s
"""
IS_MEMBER = "select 1 from incident_complaints where complaint_id = %s"
LAST_ID = "select coalesce(max(complaint_id), 0) from incident_complaints"
LIVE = "select merged_into from incidents where id = %s"
RECORD = """
insert into incident_investigations (incident_id, outcome, enterprise_id, note, recorded_by, recorded_at, trace_ranking)
values (%s, %s, %s, %s, %s, %s, %s)
on conflict (incident_id) do update set outcome = excluded.outcome, enterprise_id = excluded.enterprise_id,
    note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at,
    trace_ranking = excluded.trace_ranking
"""
OUTCOMES = ("enterprise", "other", "none")


@dataclass(frozen=True)
class IncomingComplaint:
    """The part of a complaint the incidents need (no complainant identity)."""

    id: int
    case_id: int | None
    received_at: datetime
    lon: float | None
    lat: float | None
    categories: Sequence[str]
    text: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> IncomingComplaint:
        """From a mapping with the same keys (what ``ingest.views.air_complaints_after`` returns)."""
        return cls(int(row["id"]), row.get("case_id"), row["received_at"], row.get("lon"), row.get("lat"),
                   list(row.get("categories") or ()), row.get("text") or "")


def city_crs(conn: psycopg.Connection[Any], lons: Sequence[float]) -> str:
    """The city's metric projection, from its areas' extent (the complaints' own without areas)."""
    bounds = [row["geom"].bounds for row in current_area_rows(conn)]
    return metric_crs_for([b[0] for b in bounds] + [b[2] for b in bounds] or list(lons))


def _add_one(conn: psycopg.Connection[Any], c: IncomingComplaint, group: Group, now: datetime, crs: str) -> str:
    assert c.lon is not None and c.lat is not None
    x, y = (float(v[0]) for v in to_metric([c.lon], [c.lat], crs))
    eps = timedelta(seconds=group.eps_s)
    window = {"group": group.name, "x": x, "y": y, "eps": group.eps_m, "t0": c.received_at - eps,
              "t1": c.received_at + eps}
    found = [r[0] for r in conn.execute(NEIGHBOURS, window).fetchall()]
    step = decide(found)
    if step.action == "open":
        row = conn.execute(OPEN, (group.name, c.received_at, c.received_at, c.lon, c.lat, now, now)).fetchone()
        assert row is not None
        incident = int(row[0])
    else:
        assert step.incident is not None
        incident = step.incident
    if step.absorbed:
        conn.execute(MOVE_MEMBERS, (incident, list(step.absorbed)))
        conn.execute(MARK_MERGED, (incident, now, list(step.absorbed)))
    conn.execute(ADD_MEMBER, (c.id, incident, c.case_id, c.received_at, c.lon, c.lat, x, y, list(c.categories),
                              sorted(descriptors(c.text)), now))
    conn.execute(REFRESH, (now, incident, incident))
    return step.action


def add_complaints(conn: psycopg.Connection[Any], complaints: Iterable[IncomingComplaint], *, now: datetime,
                   groups: Sequence[Group] = GROUPS) -> dict[str, int]:
    """Cluster complaints into incidents in arrival order; returns how many opened, joined, merged, skipped.

    Complaints with no point, not about air, or already in an incident are skipped.
    """
    counts = {"open": 0, "join": 0, "merge": 0, "skipped": 0}
    complaints = sorted(complaints, key=lambda c: (c.received_at, c.id))
    if not complaints:
        return counts
    crs = city_crs(conn, [c.lon for c in complaints if c.lon is not None])
    with conn.transaction():
        for c in complaints:
            group = group_of(c.categories, groups)
            if group is None or c.lon is None or c.lat is None or conn.execute(IS_MEMBER, (c.id,)).fetchone():
                counts["skipped"] += 1
                continue
            counts[_add_one(conn, c, group, now, crs)] += 1
    return counts


def sync(conn: psycopg.Connection[Any], fetch: Callable[[psycopg.Connection[Any], int, int], Sequence[Mapping[str, Any]]],
         *, now: datetime, batch: int = 5000) -> dict[str, int]:
    """Cluster every complaint newer than the last one clustered, ``fetch(conn, after_id, limit)`` at a time.

    ``fetch`` is the owner's reader (``ingest.views.air_complaints_after``), passed in by the
    wiring layer because monitoring may not import ingest.
    """
    total = {"open": 0, "join": 0, "merge": 0, "skipped": 0}
    row = conn.execute(LAST_ID).fetchone()
    after = int(row[0]) if row else 0
    while True:
        rows = [IncomingComplaint.from_row(r) for r in fetch(conn, after, batch)]
        if not rows:
            return total
        for k, v in add_complaints(conn, rows, now=now).items():
            total[k] += v
        after = max(r.id for r in rows)


def record_investigation(conn: psycopg.Connection[Any], incident_id: int, *, outcome: str, enterprise_id: int | None,
                         note: str | None, actor: str, now: datetime, trace_ranking: Sequence[int]) -> None:
    """Record what the investigation of an incident found (replaces an earlier record)."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}")
    if (outcome == "enterprise") != (enterprise_id is not None):
        raise InvalidInput("查实为企业时须给出企业 / an enterprise outcome needs enterprise_id (and only it)")
    with conn.transaction():
        row = conn.execute(LIVE, (incident_id,)).fetchone()
        if row is None:
            raise NotFound(f"事件不存在 / no incident {incident_id}")
        if row[0] is not None:
            raise InvalidInput(f"事件 {incident_id} 已并入 {row[0]} / incident merged into {row[0]}")
        conn.execute(RECORD, (incident_id, outcome, enterprise_id, note, actor, now, list(trace_ranking)))
