"""Fixtures of the dispatch tests: a seeded 2026 calendar, two teams on two hand-drawn grids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import shapely

from envpetition.calendar import seed_calendar
from envpetition.city import CityBuilder
from envpetition.localtime import LOCAL_TZ

TZ = LOCAL_TZ


def at(text: str) -> datetime:
    """A local time from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def make_city(conn: Any) -> dict[str, int]:
    """Seed the 2026 calendar; two square grids side by side, each with its team."""
    seed_calendar(conn, [2026, 2027])
    city = CityBuilder(conn, now=at("2026-01-01 00:00"))
    west = city.grid("西网格", shapely.box(117.80, 30.90, 117.85, 30.95))
    east = city.grid("东网格", shapely.box(117.85, 30.90, 117.90, 30.95))
    return {"west_grid": west, "east_grid": east,
            "west_team": city.team("西区执法队", grid=west), "east_team": city.team("东区执法队", grid=east)}


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
