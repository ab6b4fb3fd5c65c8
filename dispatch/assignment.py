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
TEAM_LOADS = """
select t.id, count(c.id) from teams t left join cases c on c.team_id = t.id and c.closed_at is null
where t.active group by t.id
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


class TeamChooser:
    """``choose_team`` for many cases opened one after another: the grid teams and routing answers are
    read once each, the open-case counts once, then kept current as the caller assigns teams
    (``count``), so the workload fallback sees earlier cases of the same batch."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._grid_teams: dict[int, int | None] = {}
        self._routes: dict[tuple[frozenset[str], frozenset[int]], tuple[int | None, str | None] | None] = {}
        self._load: dict[int, int] | None = None
        self._opened: list[int] = []  # teams given cases before the workload was read
        self._points: dict[tuple[float, float], int | None] = {}

    def choose(self, *, grid_id: int | None, categories: list[str], area_ids: list[int],
               lon: float | None = None, lat: float | None = None) -> Assignment:
        """Pick the handler by jurisdiction, then routing table, then workload."""
        if grid_id is None and lon is not None and lat is not None:
            if (lon, lat) not in self._points:
                self._points[(lon, lat)] = grid_at(self.conn, lon, lat)
            grid_id = self._points[(lon, lat)]
        if grid_id is not None:
            if grid_id not in self._grid_teams:
                row = self.conn.execute(TEAM_OF_GRID, (grid_id,)).fetchone()
                self._grid_teams[grid_id] = int(row[0]) if row else None
            team = self._grid_teams[grid_id]
            if team is not None:
                return Assignment(team, None, "grid")
        areas = [a for a in (*area_ids, grid_id) if a is not None]
        key = (frozenset(categories), frozenset(areas))
        if key not in self._routes:
            row = self.conn.execute(MATCH_ROUTING, {"categories": categories, "areas": areas}).fetchone()
            self._routes[key] = (row[0], row[1]) if row else None
        route = self._routes[key]
        if route is not None:
            return Assignment(route[0], route[1], "routing")
        load = self._workload()
        if load:
            return Assignment(min(load, key=lambda team: (load[team], team)), None, "workload")
        return Assignment(None, None, "none")

    def count(self, team_id: int | None) -> None:
        """A case was just opened for ``team_id``: one more open case on its workload."""
        if team_id is None:
            return
        if self._load is None:
            self._opened.append(team_id)
        elif team_id in self._load:
            self._load[team_id] += 1

    def _workload(self) -> dict[int, int]:
        if self._load is None:
            self._load = {int(t): int(n) for t, n in self.conn.execute(TEAM_LOADS).fetchall()}
            for team_id in self._opened:
                if team_id in self._load:
                    self._load[team_id] += 1
        return self._load


def choose_team(
    conn: psycopg.Connection[Any], *, grid_id: int | None, categories: list[str], area_ids: list[int],
    lon: float | None = None, lat: float | None = None,
) -> Assignment:
    """Pick the handler by jurisdiction, then routing table, then workload."""
    return TeamChooser(conn).choose(grid_id=grid_id, categories=categories, area_ids=area_ids, lon=lon, lat=lat)


def add_routing_rule(
    conn: psycopg.Connection[Any], *, category: str | None, area_id: int | None, team_id: int | None,
    department: str | None, rank: int = 100,
) -> int:
    if team_id is None and not department:
        raise InvalidInput("路由规则需要执法队或部门 / a routing rule needs a team or a department")
    row = conn.execute(INSERT_RULE, (category, area_id, team_id, department, rank)).fetchone()
    assert row is not None
    return int(row[0])
