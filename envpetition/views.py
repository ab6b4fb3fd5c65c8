"""Read views of the shell's tables (areas, teams, users, schema) for the packages and the pages."""

from __future__ import annotations

from typing import Any

import psycopg
import shapely
from psycopg.rows import dict_row

CURRENT_AREAS = """
select id, kind, name, code, attributes, geom from areas
where valid_to is null and (%(kind)s::text is null or kind = %(kind)s)
order by kind, name
"""
TABLE_COUNTS = """
select 'areas', count(*) from areas union all
select 'teams', count(*) from teams union all
select 'users', count(*) from users
"""
SCHEMA_VERSION = "select max(version) from schema_migrations"
TEAM_IDS = "select name, id from teams order by id"
AREAS_VERSION = "select current_database(), count(*), coalesce(max(id), 0), max(valid_from), max(valid_to) from areas"
ENTERPRISE_BY_NAME = """
select id from areas where kind = 'enterprise' and valid_to is null and (name = %s or %s = any(aliases))
"""


def current_area_rows(conn: psycopg.Connection[Any], kind: str | None = None) -> list[dict[str, Any]]:
    """Current areas (all kinds, or one) ordered by kind and name, geometry decoded."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(CURRENT_AREAS, {"kind": kind}).fetchall()
    for row in rows:
        row["geom"] = shapely.from_wkb(bytes(row["geom"]))
    return rows


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Row counts of the shell's tables (the home page's summary)."""
    return {name: int(n) for name, n in conn.execute(TABLE_COUNTS).fetchall()}


def areas_version(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    """A fingerprint of the areas that changes whenever an area is added, replaced or closed."""
    return tuple(conn.execute(AREAS_VERSION).fetchone() or ())


def enterprise_id(conn: psycopg.Connection[Any], name: str) -> int | None:
    """The current enterprise of this name or alias."""
    row = conn.execute(ENTERPRISE_BY_NAME, (name, name)).fetchone()
    return int(row[0]) if row else None


def team_ids(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Every team's id by its name."""
    return {name: int(i) for name, i in conn.execute(TEAM_IDS).fetchall()}


def schema_version(conn: psycopg.Connection[Any]) -> int | None:
    """The newest applied migration's number (None before the first)."""
    row = conn.execute(SCHEMA_VERSION).fetchone()
    return row[0] if row else None
