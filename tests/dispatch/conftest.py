"""Fixtures of the dispatch tests: a seeded 2026 calendar, two teams on two hand-drawn grids."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import shapely

from envpetition.areas import Area, save_area
from envpetition.calendar import seed_calendar
from envpetition.teams import save_team

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A local Asia/Shanghai time from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def make_city(conn: Any) -> dict[str, int]:
    """Seed the 2026 calendar; two square grids side by side, each with its team."""
    seed_calendar(conn, [2026, 2027])
    now = at("2026-01-01 00:00")
    west, _ = save_area(conn, Area("grid", "西网格", shapely.box(117.80, 30.90, 117.85, 30.95)), now=now)
    east, _ = save_area(conn, Area("grid", "东网格", shapely.box(117.85, 30.90, 117.90, 30.95)), now=now)
    ids = {"west_grid": west, "east_grid": east}
    for key, name, grid in (("west_team", "西区执法队", west), ("east_team", "东区执法队", east)):
        ids[key], _ = save_team(conn, name, grid_id=grid)
    return ids


@pytest.fixture
def city(conn: Any) -> dict[str, int]:
    return make_city(conn)


@pytest.fixture
def second_database_url(pg_admin_url: str, template_database: str) -> Any:
    """Another fresh database, for running the same work two ways and comparing the rows."""
    import uuid

    import psycopg

    from envpetition.servers import ensure_database, with_database

    name = f"envp_t2_{uuid.uuid4().hex[:12]}"
    ensure_database(pg_admin_url, name, template=template_database)
    yield with_database(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(psycopg.sql.Identifier(name)))
