"""Real servers for every test.

PostgreSQL: ``DATABASE_URL`` when set (CI: the machine's own server), else an embedded server in
``ENVPETITION_HOME/test-pgdata``. Each test run gets its own databases, created from a migrated
template and dropped at the end, so parallel runs and several developers never collide.
MQTT: ``MQTT_URL`` when set (CI: the machine's Mosquitto), else an embedded amqtt broker.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from envpetition import auth
from envpetition.city import CityBuilder
from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import (
    EmbeddedBroker,
    Services,
    ensure_database,
    start_embedded_postgres,
    with_database,
)
from envpetition.settings import Settings

RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("drop database if exists {} with (force)").format(psycopg.sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return start_embedded_postgres(Settings().home / "test-pgdata")


@pytest.fixture(scope="session")
def template_database(pg_admin_url: str) -> Iterator[str]:
    """A migrated database nobody connects to; every test database is a copy of it."""
    name = f"envp_tmpl_{RUN_ID}"
    ensure_database(pg_admin_url, name)
    with connect(with_database(pg_admin_url, name), autocommit=True) as conn:
        migrate(conn)
    yield name
    _drop(pg_admin_url, name)


@pytest.fixture(scope="session")
def database_url(pg_admin_url: str, template_database: str) -> Iterator[str]:
    """The shared test database; tests using ``conn`` roll back, so it stays empty."""
    name = f"envp_test_{RUN_ID}"
    ensure_database(pg_admin_url, name, template=template_database)
    yield with_database(pg_admin_url, name)
    _drop(pg_admin_url, name)


@pytest.fixture
def fresh_database_url(pg_admin_url: str, template_database: str) -> Iterator[str]:
    """A database of this test's own, for code that commits or uses several connections."""
    name = f"envp_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    ensure_database(pg_admin_url, name, template=template_database)
    yield with_database(pg_admin_url, name)
    _drop(pg_admin_url, name)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose every change is rolled back after the test."""
    with connect(database_url, autocommit=True) as c, c.transaction(force_rollback=True):
        yield c


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    url = os.environ.get("MQTT_URL")
    if url:
        yield url
        return
    broker = EmbeddedBroker().start()
    yield broker.url
    broker.stop()


@pytest.fixture
def topic_prefix() -> str:
    """A topic tree of this test's own on a shared broker."""
    return f"envptest/{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def app_client(fresh_database_url: str, mqtt_url: str, settings: Settings) -> Iterator[TestClient]:
    from dashboard.app import create_app

    services = Services(fresh_database_url, mqtt_url, embedded_database=False, embedded_broker=False)
    with TestClient(create_app(settings, services)) as client:
        yield client


@pytest.fixture
def make_user(fresh_database_url: str) -> Any:
    """Create a user in the fresh database and return a bearer header for it."""

    def make(role: str, username: str | None = None, team_id: int | None = None) -> dict[str, str]:
        username = username or f"{role}_{uuid.uuid4().hex[:6]}"
        with connect(fresh_database_url, autocommit=True) as c:
            CityBuilder(c, now=datetime.now().astimezone()).user(username, "secret-pass-1", role, team=team_id)
            token = auth.login(c, username, "secret-pass-1", now=datetime.now().astimezone())
        return {"Authorization": f"Bearer {token}"}

    return make
