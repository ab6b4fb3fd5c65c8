"""Read views of ingest's tables for other packages' pages. No complainant identity here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

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


def air_complaints_after(conn: psycopg.Connection[Any], after_id: int, limit: int) -> list[dict[str, Any]]:
    """Located air complaints (odour, exhaust, smoke/dust) with id above ``after_id``, oldest id first.

    What monitoring's incident clustering is fed (through the wiring layer: monitoring may not import
    ingest). Duplicates (the same event reported again) are left out: an incident counts events.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(AIR_COMPLAINTS_AFTER, (after_id, limit)))
