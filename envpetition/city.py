"""Build a city (areas, teams, user accounts) through the shell's own functions.

The one builder the tests' small hand-drawn cities, the sample loader (``ingest/sample.py``) and the
demo's accounts all go through, so an area, a team or a user is made one way everywhere.

Example
-------
>>> city = CityBuilder(conn, now=now)  # doctest: +SKIP
>>> grid = city.grid("西网格", shapely.box(117.80, 30.90, 117.85, 30.95))  # doctest: +SKIP
>>> team = city.team("西区执法队", grid=grid)  # doctest: +SKIP
>>> city.user("li", "a-good-password", "team_member", team=team)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from shapely.geometry.base import BaseGeometry

from envpetition import auth
from envpetition import views as core_views
from envpetition.areas import Area, save_area
from envpetition.teams import save_team


@dataclass
class CityBuilder:
    """Areas, teams and users of one city, created at ``now`` on ``conn``."""

    conn: psycopg.Connection[Any]
    now: datetime

    def area(self, kind: str, name: str, geom: BaseGeometry, *, code: str | None = None,
             aliases: list[str] | None = None, attributes: dict[str, Any] | None = None) -> int:
        """Create (or replace the current version of) an area; return its id."""
        area = Area(kind, name, geom, code=code, aliases=aliases or [], attributes=attributes or {})
        return save_area(self.conn, area, now=self.now)[0]

    def grid(self, name: str, geom: BaseGeometry, **extra: Any) -> int:
        """A grid (网格): the area a team holds."""
        return self.area("grid", name, geom, **extra)

    def community(self, name: str, geom: BaseGeometry, **extra: Any) -> int:
        return self.area("community", name, geom, **extra)

    def enterprise(self, name: str, geom: BaseGeometry, **extra: Any) -> int:
        return self.area("enterprise", name, geom, **extra)

    def team(self, name: str, *, grid: int | None = None, leader: str | None = None,
             mqtt_topic: str | None = None, active: bool = True) -> int:
        """Create or update the team holding ``grid`` (an area id); return its id."""
        return save_team(self.conn, name, grid_id=grid, leader=leader, mqtt_topic=mqtt_topic, active=active)[0]

    def grid_named(self, name: str) -> int | None:
        """The id of the current grid of this name."""
        return core_views.current_area_id(self.conn, "grid", name)

    def user(self, username: str, password: str, role: str, *, display_name: str | None = None,
             team: int | None = None) -> int:
        """Create or reset an account; return its id."""
        return auth.create_user(self.conn, username, password, role, display_name=display_name, team_id=team)
