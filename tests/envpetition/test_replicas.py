"""Read replicas against a real streaming standby the test starts (and stops mid-test)."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from envpetition import auth
from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import Services, ensure_database, with_database
from envpetition.settings import Settings
from tests.envpetition.streaming_pair import StreamingPair

MAX_LAG_S = 1.0


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[StreamingPair, str]]:
    # Not under pytest's tmp dir: that is 0700, and the embedded servers run as their own user.
    folder = Path(tempfile.mkdtemp(prefix="envp-replica-"))
    folder.chmod(0o755)
    pair = StreamingPair(folder / "pg")
    try:
        admin = pair.primary.admin_url
        ensure_database(admin, "envp")
        url = with_database(admin, "envp")
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            auth.create_user(conn, "mon", "secret-pass-1", "monitoring")
            auth.create_user(conn, "chief", "secret-pass-1", "director")
        pair.start_standby()
        pair.wait_replayed("envp")
        yield pair, url
    finally:
        pair.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def client(pair: tuple[StreamingPair, str], mqtt_url: str, tmp_path: Path) -> Iterator[TestClient]:
    standby, url = pair
    settings = Settings(home=tmp_path / "home", database_replica_url=standby.standby_url("envp"),
                        replica_max_lag_s=MAX_LAG_S)
    services = Services(url, mqtt_url, embedded_database=False, embedded_broker=False)
    from dashboard.app import create_app

    with TestClient(create_app(settings, services)) as c:
        yield c


def bearer(url: str, username: str) -> dict[str, str]:
    with connect(url, autocommit=True) as conn:
        return {"Authorization": f"Bearer {auth.login(conn, username, 'secret-pass-1', now=datetime.now().astimezone())}"}


def sensor(sensor_id: str) -> dict[str, Any]:
    return {"kind": "fixed", "name": f"站点 {sensor_id}", "lon": 117.8, "lat": 30.9, "pollutants": ["a34004"],
            "units": ["ug/m3"]}


def wait_routed(c: TestClient, path: str, headers: dict[str, str], where: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        response = c.get(path, headers=headers)
        if response.headers.get("X-Read-From") == where or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_reads_go_to_the_standby_writes_to_the_primary_and_fall_back(client: TestClient,
                                                                       pair: tuple[StreamingPair, str]) -> None:
    standby, url = pair
    mon = bearer(url, "mon")
    standby.wait_replayed("envp")

    # GETs (API, pages) are served by the standby; writes by the primary.
    listed = wait_routed(client, "/api/monitoring/sensors", mon, "replica")
    assert listed.status_code == 200 and listed.headers["X-Read-From"] == "replica"
    assert client.get("/api/cases", headers=mon).headers["X-Read-From"] == "replica"
    written = client.put("/api/monitoring/sensors/R1", json=sensor("R1"), headers=mon)
    assert written.status_code == 200 and written.headers["X-Read-From"] == "primary"
    assert written.headers["X-Primary-LSN"] and client.cookies.get("envp_lsn")

    # Read-your-own-writes: with replay paused the standby lacks the write; the writer's next
    # read goes to the primary and sees it, a reader without the write's position may not.
    with psycopg.connect(standby.standby_url("envp"), autocommit=True) as s:
        s.execute("select pg_wal_replay_pause()")
        second = client.put("/api/monitoring/sensors/R2", json=sensor("R2"), headers=mon)
        assert second.status_code == 200
        mine = client.get("/api/monitoring/sensors/R2", headers=mon)
        assert mine.status_code == 200 and mine.headers["X-Read-From"] == "primary"
        other = TestClient(client.app)  # no cookie: a different user's browser (lifespan already running)
        stale = other.get("/api/monitoring/sensors/R2", headers=mon)
        assert (stale.headers["X-Read-From"], stale.status_code) in {("replica", 404), ("primary", 200)}
        # Past the lag bound (replay still paused, the primary moved on) everyone reads the primary.
        time.sleep(MAX_LAG_S + 1.5)
        late = wait_routed(other, "/api/monitoring/sensors/R2", mon, "primary", timeout=10)
        assert late.status_code == 200 and late.headers["X-Read-From"] == "primary"
        s.execute("select pg_wal_replay_resume()")
    standby.wait_replayed("envp")
    caught_up = wait_routed(client, "/api/monitoring/sensors/R2", mon, "replica")
    assert caught_up.status_code == 200 and caught_up.headers["X-Read-From"] == "replica"

    # The standby stops mid-test: every read still answers, from the primary.
    standby.stop_standby()
    for path in ("/api/monitoring/sensors", "/api/cases", "/api/monitoring/sensors/R1"):
        response = client.get(path, headers=mon)
        assert response.status_code == 200 and response.headers["X-Read-From"] == "primary", path
    assert client.put("/api/monitoring/sensors/R3", json=sensor("R3"), headers=mon).status_code == 200

    # Back up: it catches up and serves reads again.
    standby.start_standby()
    standby.wait_replayed("envp")
    back = wait_routed(client, "/api/monitoring/sensors/R3", mon, "replica")
    assert back.status_code == 200 and back.headers["X-Read-From"] == "replica"


def test_a_page_after_login_reads_the_new_session(client: TestClient, pair: tuple[StreamingPair, str]) -> None:
    standby, _url = pair
    with psycopg.connect(standby.standby_url("envp"), autocommit=True) as s:
        s.execute("select pg_wal_replay_pause()")
        try:
            form = client.get("/login")  # a fresh primary read; the form carries its CSRF token
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)  # type: ignore[union-attr]
            response = client.post("/login", data={"username": "chief", "password": "secret-pass-1", "csrf_token": token},
                                   headers={"Origin": "http://testserver"}, follow_redirects=False)
            assert response.status_code == 303 and client.cookies.get("envp_lsn")
            # The session row exists only on the primary: the page must be read there, not bounce to /login.
            page = client.get("/", follow_redirects=False)
            assert page.status_code == 200 and page.headers["X-Read-From"] == "primary"
        finally:
            s.execute("select pg_wal_replay_resume()")
