"""Reads of incidents, their complaints, investigations and the trace's accuracy per month."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

LIST = """
select i.id, i.category_group, i.started_at, i.ended_at, i.size, i.lon, i.lat,
       v.outcome, v.enterprise_id as confirmed_enterprise_id
from incidents i left join incident_investigations v on v.incident_id = i.id
where i.merged_into is null and (%(start)s::timestamptz is null or i.ended_at >= %(start)s)
  and (%(end)s::timestamptz is null or i.started_at < %(end)s) and i.size >= %(min_size)s
order by i.started_at desc limit %(limit)s
"""
ONE = """
select i.id, i.category_group, i.started_at, i.ended_at, i.size, i.lon, i.lat, i.merged_into,
       v.outcome, v.enterprise_id as confirmed_enterprise_id, v.note, v.recorded_by, v.recorded_at, v.trace_ranking
from incidents i left join incident_investigations v on v.incident_id = i.id where i.id = %s
"""
MEMBERS = """
select complaint_id, case_id, received_at, lon, lat, x, y, categories, descriptors
from incident_complaints where incident_id = %s order by received_at, complaint_id
"""
OF_CASE = """
select ic.incident_id from incident_complaints ic join incidents i on i.id = ic.incident_id
where ic.case_id = %s order by i.size desc, ic.incident_id limit 1
"""
CONFIRMED = """
select enterprise_id, count(*) from incident_investigations
where outcome = 'enterprise' and recorded_at < %s and incident_id <> %s group by 1
"""
KPI = """
select to_char(i.started_at at time zone %(tz)s, 'YYYY-MM') as month,
       count(*) filter (where v.outcome = 'enterprise') as confirmed,
       count(*) filter (where v.outcome = 'enterprise' and v.trace_ranking[1] = v.enterprise_id) as top1,
       count(*) filter (where v.outcome = 'enterprise' and v.enterprise_id = any(v.trace_ranking[1:3])) as top3,
       count(*) filter (where v.outcome <> 'enterprise') as other_or_none
from incident_investigations v join incidents i on i.id = v.incident_id
group by 1 order by 1
"""


def list_incidents(conn: psycopg.Connection[Any], *, start: datetime | None = None, end: datetime | None = None,
                   min_size: int = 1, limit: int = 200) -> list[dict[str, Any]]:
    """Live incidents (not merged away) overlapping [start, end), newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(LIST, {"start": start, "end": end, "min_size": min_size, "limit": limit}))


def get_incident(conn: psycopg.Connection[Any], incident_id: int) -> dict[str, Any] | None:
    """One incident with its complaints (points, times, categories, odour words); None if absent."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(ONE, (incident_id,)).fetchone()
        if row is None:
            return None
        row["complaints"] = list(cur.execute(MEMBERS, (incident_id,)))
    return row


def incident_of_case(conn: psycopg.Connection[Any], case_id: int) -> int | None:
    """The incident a case's complaints are in (the largest when several)."""
    row = conn.execute(OF_CASE, (case_id,)).fetchone()
    return int(row[0]) if row else None


def confirmed_counts(conn: psycopg.Connection[Any], before: datetime, exclude: int = 0) -> dict[int, int]:
    """Enterprise id -> incidents confirmed as caused by it, recorded before ``before``."""
    return {int(k): int(v) for k, v in conn.execute(CONFIRMED, (before, exclude)).fetchall()}


def accuracy_by_month(conn: psycopg.Connection[Any], tz: str) -> list[dict[str, Any]]:
    """Per month of the incident: confirmed incidents and how often the trace had the source 1st / in the top 3."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = list(cur.execute(KPI, {"tz": tz}))
    for r in rows:
        r["top1_rate"] = round(r["top1"] / r["confirmed"], 3) if r["confirmed"] else None
        r["top3_rate"] = round(r["top3"] / r["confirmed"], 3) if r["confirmed"] else None
    return rows
