"""Which team handles a case: jurisdiction (属地) by grid, then the routing table, then workload.

1. the grid (given, or the grid polygon that covers the case's WGS-84 point) → the team whose
   ``teams.grid_id`` is that grid (grid management, ``002_110b395cc87a76ed.txt``);
2. the routing table: category × area → team or department (area null = anywhere), lowest rank first;
3. the active team with the fewest open cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import shapely

from envpetition.errors import InvalidInput

SELECT_GRIDS_AT = """
select id, geom from areas where kind = 'grid' and valid_to is null
  and %(lon)s between min_lon and max_lon and %(lat)s between min_lat and max_lat order by id
"""
TEAM_OF_GRID = "select id from teams where grid_id = %s and active order by id limit 1"
MATCH_ROUTING = """
select r.team_id, r.department from routing_rules r
left join teams t on t.id = r.team_id
where (r.category is null or r.category = any(%(categories)s::text[]))
  and (r.area_id is null or r.area_id = any(%(areas)s::bigint[]))
  and (r.team_id is null or t.active)
order by (r.area_id is null), (r.category is null), r.rank, r.id limit 1
"""
LEAST_LOADED = """
select t.id from teams t left join cases c on c.team_id = t.id and c.closed_at is null
where t.active group by t.id order by count(c.id), t.id limit 1
"""
INSERT_RULE = """
insert into routing_rules (category, area_id, team_id, department, rank) values (%s, %s, %s, %s, %s) returning id
"""


@dataclass(frozen=True)
class Assignment:
    team_id: int | None
    department: str | None
    basis: str  # grid | routing | workload | none


def grid_at(conn: psycopg.Connection[Any], lon: float, lat: float) -> int | None:
    """The grid whose polygon covers the point (boundary points included), lowest id if several."""
    point = shapely.Point(lon, lat)
    for area_id, geom in conn.execute(SELECT_GRIDS_AT, {"lon": lon, "lat": lat}).fetchall():
        if shapely.from_wkb(bytes(geom)).covers(point):
            return int(area_id)
    return None


def choose_team(
    conn: psycopg.Connection[Any], *, grid_id: int | None, categories: list[str], area_ids: list[int],
    lon: float | None = None, lat: float | None = None,
) -> Assignment:
    """Pick the handler by jurisdiction, then routing table, then workload."""
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


def add_routing_rule(
    conn: psycopg.Connection[Any], *, category: str | None, area_id: int | None, team_id: int | None,
    department: str | None, rank: int = 100,
) -> int:
    if team_id is None and not department:
        raise InvalidInput("路由规则需要执法队或部门 / a routing rule needs a team or a department")
    row = conn.execute(INSERT_RULE, (category, area_id, team_id, department, rank)).fetchone()
    assert row is not None
    return int(row[0])
