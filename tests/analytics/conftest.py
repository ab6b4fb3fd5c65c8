"""The sample city in a database of this test session's own (areas, complaints, cases moved on a little).

Loaded once per session: the bulletin, CLI and page tests read it and never write to it (the schedule
test, which writes, uses its own copy).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from envpetition.db import connect
from envpetition.servers import ensure_database, with_database
from tests.dashboard.conftest import browser  # noqa: F401  (the Chromium fixture, shared)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
TZ = ZoneInfo("Asia/Shanghai")


def load_sample_city(url: str) -> None:
    from dispatch.demo import progress_cases
    from envpetition.calendar import seed_calendar
    from ingest.sample import import_sample_complaints, load_sample_areas

    now = datetime(2026, 11, 1, 12, tzinfo=TZ)  # after the sample's last complaint (a later receipt is refused)
    with connect(url, autocommit=True) as conn:
        seed_calendar(conn, [2026])
        load_sample_areas(conn, SAMPLE, now=now)
        import_sample_complaints(conn, SAMPLE, now=now, backfill=True)
        moment = datetime(2026, 8, 2, tzinfo=TZ)
        while moment < datetime(2026, 11, 1, tzinfo=TZ):  # teams move cases on, a few steps a week
            progress_cases(conn, now=moment)
            moment += timedelta(hours=36)


@pytest.fixture(scope="session")
def sample_city_url(pg_admin_url: str, template_database: str) -> Iterator[str]:
    import psycopg

    name = f"envp_city_{uuid.uuid4().hex[:10]}"
    ensure_database(pg_admin_url, name, template=template_database)
    url = with_database(pg_admin_url, name)
    load_sample_city(url)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(psycopg.sql.Identifier(name)))


@pytest.fixture
def city_conn(sample_city_url: str) -> Iterator[object]:
    with connect(sample_city_url, autocommit=True) as c, c.transaction(force_rollback=True):
        yield c


@pytest.fixture
def api(sample_city_url: str, mqtt_url: str, settings: object) -> Iterator[object]:
    """A TestClient on the sample city, logged in as a director."""
    from fastapi.testclient import TestClient

    from dashboard.app import create_app
    from envpetition import auth
    from envpetition.servers import Services

    services = Services(sample_city_url, mqtt_url, embedded_database=False, embedded_broker=False)
    username = f"director_{uuid.uuid4().hex[:6]}"
    with connect(sample_city_url, autocommit=True) as c:
        auth.create_user(c, username, "secret-pass-1", "director")
        token = auth.login(c, username, "secret-pass-1", now=datetime.now(TZ))
    with TestClient(create_app(settings, services)) as client:  # type: ignore[arg-type]
        client.headers["Authorization"] = f"Bearer {token}"
        client.cookies.set("envp_session", token)
        yield client


@pytest.fixture
def city_server(sample_city_url: str, mqtt_url: str, settings: object) -> Iterator[tuple[str, str]]:
    """The app on the sample city in a background server, and a director's login name."""
    from dashboard.app import create_app
    from dashboard.server import BackgroundServer
    from envpetition import auth
    from envpetition.servers import Services, free_port

    username = f"chief_{uuid.uuid4().hex[:6]}"
    with connect(sample_city_url, autocommit=True) as c:
        auth.create_user(c, username, "browser-pass-1", "director", display_name="周局长")
    port = free_port()
    services = Services(sample_city_url, mqtt_url, embedded_database=False, embedded_broker=False)
    with BackgroundServer(create_app(settings, services), port):  # type: ignore[arg-type]
        yield f"http://127.0.0.1:{port}", username
