"""Read views of the shell's tables (areas, teams, users, schema) for the packages and the pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
import shapely
from psycopg.rows import dict_row

from envpetition.basemap import MAP_LAYERS, MapFeature

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
CURRENT_MAP_FEATURES = """
select id, layer, name, attributes, geom from map_features
where valid_to is null and layer = any(%s) order by layer, id
"""
TEAM_IDS = "select name, id from teams order by id"
AREAS_VERSION = "select current_database(), count(*), coalesce(max(id), 0), max(valid_from), max(valid_to) from areas"
AREA_NAMES = "select id, name from areas where id = any(%s)"
CURRENT_AREA_ID = "select id from areas where kind = %s and name = %s and valid_to is null"
GRIDS_AROUND = """
select id, geom from areas where kind = 'grid' and valid_to is null
  and %(lon)s between min_lon and max_lon and %(lat)s between min_lat and max_lat order by id
"""
# Ordered by name so callers can sort by a team's name the way the database collates it.
TEAMS_BY_ID = "select id, name, active, mqtt_topic from teams where id = any(%s) order by name, id"
ACTIVE_TEAMS = "select id, name from teams where active order by id"
TEAM_OF_GRID = "select id from teams where grid_id = %s and active order by id limit 1"
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


def current_map_features(conn: psycopg.Connection[Any], layers: tuple[str, ...] | None = None) -> list[MapFeature]:
    """Every current base-map feature (water, rivers, roads, railways, places), or those of ``layers``."""
    rows = conn.execute(CURRENT_MAP_FEATURES, (list(layers or MAP_LAYERS),)).fetchall()
    return [MapFeature(layer=lyr, name=n, attributes=a, geom=shapely.from_wkb(bytes(g)), id=i)
            for i, lyr, n, a, g in rows]


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({int(v) for v in values if v is not None})


def area_names(conn: psycopg.Connection[Any], ids: Iterable[int | None]) -> dict[int, str]:
    """The name of each of these areas (any version), by id; one query for all of them."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    return {int(i): name for i, name in conn.execute(AREA_NAMES, (wanted,)).fetchall()}


def current_area_id(conn: psycopg.Connection[Any], kind: str, name: str) -> int | None:
    """The id of the current area of this kind and name."""
    row = conn.execute(CURRENT_AREA_ID, (kind, name)).fetchone()
    return int(row[0]) if row else None


def grid_at(conn: psycopg.Connection[Any], lon: float, lat: float) -> int | None:
    """The current grid whose polygon covers the point (boundary points included), lowest id if several."""
    point = shapely.Point(lon, lat)
    for area_id, geom in conn.execute(GRIDS_AROUND, {"lon": lon, "lat": lat}).fetchall():
        if shapely.from_wkb(bytes(geom)).covers(point):
            return int(area_id)
    return None


def team_rows(conn: psycopg.Connection[Any], ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    """Name, active flag and MQTT topic of each of these teams, by id, in name order; one query."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        return {int(row["id"]): row for row in cur.execute(TEAMS_BY_ID, (wanted,)).fetchall()}


def team_names(conn: psycopg.Connection[Any], ids: Iterable[int | None]) -> dict[int, str]:
    """The name of each of these teams, by id, in name order; one query."""
    return {i: row["name"] for i, row in team_rows(conn, ids).items()}


def active_teams(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """The active teams (id, name), in id order."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(ACTIVE_TEAMS).fetchall()


def team_of_grid(conn: psycopg.Connection[Any], grid_id: int) -> int | None:
    """The active team that holds this grid (lowest id if several)."""
    row = conn.execute(TEAM_OF_GRID, (grid_id,)).fetchone()
    return int(row[0]) if row else None


def with_names(conn: psycopg.Connection[Any], rows: list[dict[str, Any]], *, team: bool = False,
               areas: tuple[str, ...] = (), drop_ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Fill ``team`` from ``team_id`` and each ``<area>`` from ``<area>_id`` (one read per table for all rows).

    ``drop_ids`` names id columns the caller selected only to look the names up.
    """
    teams = team_names(conn, (r["team_id"] for r in rows)) if team else {}
    names = area_names(conn, (r[f"{a}_id"] for r in rows for a in areas)) if areas else {}
    for row in rows:
        if team:
            row["team"] = teams.get(row["team_id"])
        for area in areas:
            row[area] = names.get(row[f"{area}_id"])
        for key in drop_ids:
            row.pop(key, None)
    return rows
