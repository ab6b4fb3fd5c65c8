"""Read views of ingest's tables for other packages: pages, analytics and bulletins. No complainant identity here.

The analytics functions take one filter: [start, end), optional category list (any overlap), district id
and channel. Hotspot counts skip duplicates (the same event reported again, ``duplicate_of``), so an
event counts once; the bulletin's intake totals count every complaint received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from envpetition.localtime import LOCAL_TZ_NAME
from ingest.privacy import scrub_identity

COUNTS_BY_AREA = """
select id, sum(n)::bigint from (
    select community_id as id, count(*) as n from complaints where community_id is not null group by 1
    union all
    select enterprise_id, count(*) from complaints where enterprise_id is not null group by 1) x
group by id
"""
COUNTS_BY_CASE = "select case_id, count(*) from complaints where case_id = any(%s) group by case_id"
FIRST_ADDRESSES = """
select distinct on (case_id) case_id, address from complaints
where case_id = any(%s) and address is not null order by case_id, id
"""
REPORTED = """
select case_id, received_at, channel, text, address from complaints where case_id = any(%s)
order by case_id, received_at, id
"""
AIR_COMPLAINTS_AFTER = """
select id, case_id, received_at, lon, lat, categories, text from complaints
where id > %s and lon is not null and lat is not null and duplicate_of is null
  and categories && array['odour', 'industrial_exhaust', 'smoke_dust']
order by id limit %s
"""
TABLE_COUNTS = "select 'complaints', count(*) from complaints union all select 'quarantine', count(*) from quarantine"


def complaint_counts_by_area(conn: psycopg.Connection[Any]) -> dict[int, int]:
    """Complaints per community or enterprise id (an area is counted for either role)."""
    return {int(i): int(n) for i, n in conn.execute(COUNTS_BY_AREA).fetchall()}


def complaint_counts_by_case(conn: psycopg.Connection[Any], case_ids: Sequence[int]) -> dict[int, int]:
    """Complaints attached to each of these cases (cases without any are absent)."""
    return {int(c): int(n) for c, n in conn.execute(COUNTS_BY_CASE, (list(case_ids),)).fetchall()}


def first_addresses(conn: psycopg.Connection[Any], case_ids: Sequence[int]) -> dict[int, str]:
    """The street address of each case's first complaint that has one."""
    return {int(c): a for c, a in conn.execute(FIRST_ADDRESSES, (list(case_ids),)).fetchall()}


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Row counts of ingest's tables (the home page's summary)."""
    return {name: int(n) for name, n in conn.execute(TABLE_COUNTS).fetchall()}


def reported(conn: psycopg.Connection[Any], case_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """What the complainants reported on each case (time, channel, text, address), oldest first; never who."""
    out: dict[int, list[dict[str, Any]]] = {int(c): [] for c in case_ids}
    for case_id, received_at, channel, text, address in conn.execute(REPORTED, (list(case_ids),)).fetchall():
        out[int(case_id)].append({"received_at": received_at, "channel": channel, "text": text, "address": address})
    return out


def air_complaints_after(conn: psycopg.Connection[Any], after_id: int, limit: int) -> list[dict[str, Any]]:
    """Located air complaints (odour, exhaust, smoke/dust) with id above ``after_id``, oldest id first.

    What monitoring's incident clustering is fed (through the wiring layer: monitoring may not import
    ingest). Duplicates (the same event reported again) are left out: an incident counts events.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(AIR_COMPLAINTS_AFTER, (after_id, limit)))


@dataclass(frozen=True)
class ComplaintFilter:
    """Which complaints a statistic covers."""

    start: datetime
    end: datetime
    categories: tuple[str, ...] | None = None
    district_id: int | None = None
    channel: str | None = None

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end,
                "cats": list(self.categories) if self.categories else None,
                "district": self.district_id, "channel": self.channel, "tz": LOCAL_TZ_NAME}


WHERE = """x.received_at >= %(start)s and x.received_at < %(end)s
  and (%(cats)s::text[] is null or x.categories && %(cats)s::text[])
  and (%(district)s::bigint is null or x.district_id = %(district)s)
  and (%(channel)s::text is null or x.channel = %(channel)s)"""

MONTHLY_COMMUNITY_COUNTS = f"""
select x.community_id, date_trunc('month', x.received_at at time zone %(tz)s)::date as month, count(*) as n
from complaints x where {WHERE} and x.duplicate_of is null and x.community_id is not null
group by 1, 2
"""
POINTS_OUTSIDE_COMMUNITIES = f"""
select x.lon, x.lat, date_trunc('month', x.received_at at time zone %(tz)s)::date as month
from complaints x where {WHERE} and x.duplicate_of is null and x.community_id is null and x.lon is not null
"""
POINTS = f"""
select x.id, x.lon, x.lat, x.received_at, x.channel, x.categories, x.community_id, x.case_id
from complaints x where {WHERE} and x.duplicate_of is null and x.lon is not null
order by x.received_at limit %(limit)s
"""
SITE_POINTS = f"""
select x.id, x.lon, x.lat, x.received_at, x.community_id, x.categories
from complaints x where {WHERE} and x.duplicate_of is null and x.lon is not null
"""
# A complainant is a repeat complainant when 3 or more of their complaints fall within 30 days.
REPEAT_COMPLAINANTS = f"""
with p as (
    select x.id, x.received_at, x.community_id, x.channel, x.categories, k.phone_hash,
           count(*) over (partition by k.phone_hash order by x.received_at
                          range between %(window)s::interval preceding and current row) as in_window
    from complaints x join complainant_contacts k on k.complaint_id = x.id
    where {WHERE} and k.phone_hash is not null and x.duplicate_of is null
)
select count(*) as complaints, max(in_window) as most_in_window, min(received_at) as first_at,
       max(received_at) as last_at, array_agg(distinct channel) as channels,
       array_agg(distinct community_id) filter (where community_id is not null) as community_ids,
       mode() within group (order by community_id) as main_community_id
from p group by phone_hash having max(in_window) >= %(min_count)s
order by count(*) desc, min(received_at)
"""
INTAKE_TOTALS = f"""
select count(*) as received, count(*) filter (where x.duplicate_of is not null) as duplicates,
       count(*) filter (where x.case_id is not null and x.duplicate_of is null) as with_case,
       count(*) filter (where x.urgent) as urgent, count(*) filter (where x.duplicate_of is null) as events
from complaints x where {WHERE}
"""
BY_CHANNEL = f"select x.channel as key, count(*) as n from complaints x where {WHERE} group by 1 order by 2 desc"
BY_CATEGORY = f"""
select c as key, count(*) as n from complaints x, unnest(x.categories) c where {WHERE} and x.duplicate_of is null
group by 1 order by 2 desc
"""
BY_DISTRICT = f"""
select x.district_id as key, count(*) as n from complaints x where {WHERE} and x.duplicate_of is null group by 1
"""
BY_ENTERPRISE = f"""
select x.enterprise_id as key, count(*) as n from complaints x
where {WHERE} and x.duplicate_of is null and x.enterprise_id is not null group by 1
"""
CASE_IDS = f"select distinct x.case_id from complaints x where {WHERE} and x.case_id is not null"
CASE_TEXTS = """
select x.case_id, x.id, x.received_at, x.channel, x.text, k.name, k.phone
from complaints x left join complainant_contacts k on k.complaint_id = x.id
where x.case_id = any(%s) order by x.case_id, x.received_at, x.id
"""
COMMUNITY_MONTHLY_BY_CATEGORY = """
select date_trunc('month', x.received_at at time zone %(tz)s)::date as month, c as category, count(*) as n
from complaints x, unnest(x.categories) c
where x.community_id = %(community)s and x.duplicate_of is null and x.received_at >= %(start)s and x.received_at < %(end)s
group by 1, 2 order by 1, 2
"""
COMMUNITY_DAILY = """
select (x.received_at at time zone %(tz)s)::date as day, count(*) as n from complaints x
where x.community_id = %(community)s and x.duplicate_of is null and x.received_at >= %(start)s and x.received_at < %(end)s
group by 1 order by 1
"""


def _rows(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(sql, params).fetchall())


def monthly_community_counts(conn: psycopg.Connection[Any], where: ComplaintFilter) -> list[dict[str, Any]]:
    """Distinct events per (community, local month): community_id, month, n."""
    return _rows(conn, MONTHLY_COMMUNITY_COUNTS, where.params())


def points_outside_communities(conn: psycopg.Connection[Any], where: ComplaintFilter) -> list[tuple[Any, ...]]:
    """(lon, lat, month) of located events that fall in no community."""
    return list(conn.execute(POINTS_OUTSIDE_COMMUNITIES, where.params()).fetchall())


def complaint_points(conn: psycopg.Connection[Any], where: ComplaintFilter, limit: int = 5000) -> list[dict[str, Any]]:
    """Located events for a map: id, lon, lat, received_at, channel, categories, community_id, case_id."""
    return _rows(conn, POINTS, {**where.params(), "limit": limit})


def site_points(conn: psycopg.Connection[Any], where: ComplaintFilter) -> list[tuple[Any, ...]]:
    """Located events for the repeat-site search: (id, lon, lat, received_at, community_id, categories)."""
    return list(conn.execute(SITE_POINTS, where.params()).fetchall())


def repeat_complainants(conn: psycopg.Connection[Any], where: ComplaintFilter, *, min_count: int = 3,
                        window_days: int = 30) -> list[dict[str, Any]]:
    """People with ``min_count`` or more events within ``window_days``, by the keyed phone hash.

    Rows carry counts, dates, channels and communities only: no name, phone or hash.
    """
    return _rows(conn, REPEAT_COMPLAINANTS, {**where.params(), "min_count": min_count,
                                             "window": f"{window_days} days"})


def intake_totals(conn: psycopg.Connection[Any], where: ComplaintFilter) -> dict[str, int]:
    """received, duplicates (merged into an earlier complaint), with_case, urgent, events (distinct)."""
    row = _rows(conn, INTAKE_TOTALS, where.params())[0]
    return {k: int(v or 0) for k, v in row.items()}


def counts_by(conn: psycopg.Connection[Any], where: ComplaintFilter, key: str) -> dict[Any, int]:
    """Counts by ``channel`` (every complaint), ``category`` (multi-label), ``district`` or ``enterprise`` id."""
    sql = {"channel": BY_CHANNEL, "category": BY_CATEGORY, "district": BY_DISTRICT, "enterprise": BY_ENTERPRISE}[key]
    return {r["key"]: int(r["n"]) for r in _rows(conn, sql, where.params())}


def case_ids(conn: psycopg.Connection[Any], where: ComplaintFilter) -> list[int]:
    """Cases that hold at least one complaint matching ``where``."""
    return [int(r[0]) for r in conn.execute(CASE_IDS, where.params()).fetchall()]


def case_texts(conn: psycopg.Connection[Any], case_ids_: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Complaint texts of the given cases with the complainants' identity removed."""
    out: dict[int, list[dict[str, Any]]] = {}
    for case_id, cid, received_at, channel, text, name, phone in conn.execute(CASE_TEXTS, (case_ids_,)).fetchall():
        out.setdefault(int(case_id), []).append({"id": cid, "received_at": received_at, "channel": channel,
                                                 "text": scrub_identity(text, name, phone)})
    return out


def community_monthly_by_category(conn: psycopg.Connection[Any], community_id: int, start: datetime,
                                  end: datetime) -> list[dict[str, Any]]:
    """One community's events per local month and category (multi-label)."""
    return _rows(conn, COMMUNITY_MONTHLY_BY_CATEGORY, {"community": community_id, "start": start, "end": end,
                                                       "tz": LOCAL_TZ_NAME})


def community_daily(conn: psycopg.Connection[Any], community_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One community's events per local day, for the calendar heatmap."""
    return _rows(conn, COMMUNITY_DAILY, {"community": community_id, "start": start, "end": end, "tz": LOCAL_TZ_NAME})


def received_span(conn: psycopg.Connection[Any]) -> tuple[datetime | None, datetime | None]:
    """First and last receipt time of any complaint."""
    row = conn.execute("select min(received_at), max(received_at) from complaints").fetchone()
    return (row[0], row[1]) if row else (None, None)
