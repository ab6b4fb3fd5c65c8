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

from envpetition import views as core_views
from envpetition.errors import InvalidInput
from envpetition.views import grid_at

__all__ = ["Assignment", "TeamChooser", "add_routing_rule", "choose_team", "grid_at"]

MATCH_ROUTING = """
select r.team_id, r.department from routing_rules r
where (r.category is null or r.category = any(%(categories)s::text[]))
  and (r.area_id is null or r.area_id = any(%(areas)s::bigint[]))
  and (r.team_id is null or r.team_id = any(%(active)s::bigint[]))
order by (r.area_id is null), (r.category is null), r.rank, r.id limit 1
"""
OPEN_CASES_OF = "select team_id, count(*) from cases where closed_at is null and team_id = any(%s) group by team_id"
INSERT_RULE = """
insert into routing_rules (category, area_id, team_id, department, rank) values (%s, %s, %s, %s, %s) returning id
"""


@dataclass(frozen=True)
class Assignment:
    team_id: int | None
    department: str | None
    basis: str  # grid | routing | workload | none


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
        self._active: list[int] | None = None

    def choose(self, *, grid_id: int | None, categories: list[str], area_ids: list[int],
               lon: float | None = None, lat: float | None = None) -> Assignment:
        """Pick the handler by jurisdiction, then routing table, then workload."""
        if grid_id is None and lon is not None and lat is not None:
            if (lon, lat) not in self._points:
                self._points[(lon, lat)] = grid_at(self.conn, lon, lat)
            grid_id = self._points[(lon, lat)]
        if grid_id is not None:
            if grid_id not in self._grid_teams:
                self._grid_teams[grid_id] = core_views.team_of_grid(self.conn, grid_id)
            team = self._grid_teams[grid_id]
            if team is not None:
                return Assignment(team, None, "grid")
        areas = [a for a in (*area_ids, grid_id) if a is not None]
        key = (frozenset(categories), frozenset(areas))
        if key not in self._routes:
            row = self.conn.execute(MATCH_ROUTING, {"categories": categories, "areas": areas,
                                                    "active": self._active_teams()}).fetchone()
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

    def _active_teams(self) -> list[int]:
        if self._active is None:
            self._active = [int(t["id"]) for t in core_views.active_teams(self.conn)]
        return self._active

    def _workload(self) -> dict[int, int]:
        if self._load is None:
            active = self._active_teams()
            self._load = dict.fromkeys(active, 0)
            self._load.update((int(t), int(n)) for t, n in self.conn.execute(OPEN_CASES_OF, (active,)).fetchall())
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
