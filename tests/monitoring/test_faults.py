"""Fault tests against real servers: SIGKILLed worker, database outage, broker restart, bad input.

Servers that a test stops are private (a ``mosquitto -c`` with the shipped config on a free port, an
embedded PostgreSQL in the tmp dir); the shared ones are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import ensure_database, with_database
from monitoring.hj212 import build_packet
from monitoring.publish import Publisher
from monitoring.worker import IngestWorker
from tests.monitoring.conftest import count, wait_for
from tests.monitoring.private_servers import PrivateMosquitto, PrivatePostgres, have_mosquitto

T0 = datetime.fromisoformat("2024-06-01T00:00:00+08:00")
needs_mosquitto = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto binary not installed")


def reading(prefix: str, i: int) -> tuple[str, str]:
    sensor = f"S{i % 10}"
    return (f"{prefix}/sensors/{sensor}/readings",
            json.dumps({"ts": (T0 + timedelta(seconds=i)).isoformat(), "pollutant": "a34004", "value": float(i % 97)}))


def publish_in_background(url: str, messages: list[tuple[str, str]], rate: float | None = None) -> threading.Thread:
    """Publish from a thread; the thread's ``failed`` tells whether the publisher raised."""

    def run() -> None:
        try:
            with Publisher(url) as pub:
                start = time.monotonic()
                for n, (topic, payload) in enumerate(messages):
                    pub.publish(topic, payload)
                    if rate:
                        ahead = n / rate - (time.monotonic() - start)
                        if ahead > 0:
                            time.sleep(ahead)
        except Exception:
            thread.failed = True  # type: ignore[attr-defined]
            raise

    thread = threading.Thread(target=run, daemon=True)
    thread.failed = False  # type: ignore[attr-defined]
    thread.start()
    return thread


def assert_exactly_once(url: str, n: int) -> None:
    assert count(url, "select count(*) from readings") == n
    # The rollups count every new row once: redelivered rows must not be added again.
    assert count(url, "select coalesce(sum(n), 0) from readings_1h") == n


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    broker = PrivateMosquitto(tmp_path / "mosquitto").start()
    yield broker
    broker.stop()


@needs_mosquitto
@pytest.mark.slow
def test_worker_sigkilled_mid_stream_stores_every_reading_once(
    private_broker: PrivateMosquitto, fresh_database_url: str, topic_prefix: str
) -> None:
    n = 20000
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "MQTT_URL": private_broker.url,
           "ENVPETITION_TOPIC_PREFIX": topic_prefix, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "envpetition", "workers", "run", "monitor", "--client-id", "fault-kill", "--share-group", ""]

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    worker = spawn()
    try:
        # First run: wait for the session to exist, so messages published before it is up are queued.
        log = private_broker.folder / "mosquitto.log"
        assert wait_for(lambda: log.exists() and "as fault-kill" in log.read_text(), 20)
        time.sleep(0.5)
        publisher = publish_in_background(private_broker.url, [reading(topic_prefix, i) for i in range(n)])
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= 3000, 60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stored_at_kill = count(fresh_database_url, "select count(*) from readings")
        time.sleep(1)
        worker = spawn()
        publisher.join(120)
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= n, 90)
        time.sleep(1)  # anything redelivered late must still not duplicate
        assert stored_at_kill < n
        assert_exactly_once(fresh_database_url, n)
    finally:
        worker.terminate()
        worker.wait(10)


@needs_mosquitto
@pytest.mark.slow
def test_database_down_30_seconds_loses_nothing(private_broker: PrivateMosquitto, tmp_path: Path, topic_prefix: str) -> None:
    # Not under pytest's tmp dir: that is 0700, and the embedded server runs as its own user.
    folder = Path(tempfile.mkdtemp(prefix="envp-pg-"))
    folder.chmod(0o755)
    pg = PrivatePostgres(folder / "pg")
    try:
        ensure_database(pg.admin_url, "ingest")
        url = with_database(pg.admin_url, "ingest")
        with connect(url, autocommit=True) as c:
            migrate(c)
        worker = IngestWorker(url, private_broker.url, topic_prefix=topic_prefix, client_id="fault-db", share_group=None)
        worker.start()
        assert worker.wait_connected(15)
        time.sleep(0.3)
        n = 4000
        publisher = publish_in_background(private_broker.url, [reading(topic_prefix, i) for i in range(n)], rate=100)
        assert wait_for(lambda: count(url, "select count(*) from readings") >= 300, 30)
        pg.stop()
        time.sleep(30)
        assert worker.stats.database_errors > 0
        acked_while_down = worker.stats.acked
        pg.start()
        publisher.join(120)
        assert wait_for(lambda: count(url, "select count(*) from readings") >= n, 60)
        assert worker.stats.acked > acked_while_down
        worker.stop()
        assert_exactly_once(url, n)
    finally:
        pg.close()
        shutil.rmtree(folder, ignore_errors=True)


@needs_mosquitto
def test_broker_restart_worker_reconnects_by_itself(
    private_broker: PrivateMosquitto, start_worker: Any, fresh_database_url: str, topic_prefix: str
) -> None:
    worker = start_worker(mqtt_url=private_broker.url, client_id="fault-broker", protocol="auto")
    with Publisher(private_broker.url) as pub:
        pub.publish_all(reading(topic_prefix, i) for i in range(500))
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") == 500)
    private_broker.stop()
    assert wait_for(lambda: not worker.connected, 10)
    private_broker.start()
    assert wait_for(lambda: worker.stats.connects >= 2, 30), "worker did not reconnect"
    time.sleep(0.3)
    with Publisher(private_broker.url) as pub:
        pub.publish_all(reading(topic_prefix, i) for i in range(500, 1000))
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") == 1000)
    assert_exactly_once(fresh_database_url, 1000)


def malformed(prefix: str, i: int) -> tuple[str, bytes]:
    topic = f"{prefix}/sensors/S{i % 10}/readings"
    kinds: list[bytes] = [
        b"{broken json %d" % i,
        json.dumps({"ts": "yesterday", "pollutant": "a34004", "value": i, "n": i}).encode(),
        json.dumps({"ts": T0.isoformat(), "pollutant": "a34004", "value": None, "flag": ["N"], "n": i}).encode()[:-1],
        build_packet(f"ST=22;CN=2011;PW=1;MN=M{i};CP=&&DataTime=20240601000000;a34004-Rtd={i}&&").replace("Rtd", "Rtx", 1)
        .encode()[:-8] + b"0000\r\n",
        bytes([0xFF, 0xFE]) + str(i).encode(),
    ]
    return topic, kinds[i % len(kinds)]


def test_ten_percent_malformed_every_good_stored_every_bad_dead_lettered(
    start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str
) -> None:
    worker = start_worker()
    messages: list[tuple[str, Any]] = []
    bad: set[bytes] = set()
    for i in range(2000):
        if i % 10 == 3:
            topic, payload = malformed(topic_prefix, i)
            bad.add(payload)
            messages.append((topic, payload))
        else:
            messages.append(reading(topic_prefix, i))
    with Publisher(mqtt_url) as pub:
        pub.publish_all(messages)
    assert wait_for(lambda: worker.stats.messages_committed >= 2000, 60)
    assert_exactly_once(fresh_database_url, 1800)
    with connect(fresh_database_url, autocommit=True) as c:
        dead = {bytes(p) for (p,) in c.execute("select payload from dead_letters").fetchall()}
    assert dead == bad and len(bad) == 200


@needs_mosquitto
def test_two_worker_processes_share_the_stream_exactly_once(
    private_broker: PrivateMosquitto, fresh_database_url: str, topic_prefix: str
) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "MQTT_URL": private_broker.url,
           "ENVPETITION_TOPIC_PREFIX": topic_prefix, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    parent = subprocess.Popen([sys.executable, "-m", "envpetition", "workers", "run", "monitor", "--processes", "2",
                               "--client-id", "fault-shared", "--share-group", "g", "--analyse-every", "0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        log = private_broker.folder / "mosquitto.log"
        assert wait_for(lambda: log.exists() and "as fault-shared-1" in log.read_text()
                        and "as fault-shared-2" in log.read_text(), 30)
        time.sleep(1)
        with Publisher(private_broker.url) as pub:
            pub.publish_all(reading(topic_prefix, i) for i in range(3000))
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= 3000, 60)
        time.sleep(0.5)
        assert_exactly_once(fresh_database_url, 3000)
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(30)
    assert parent.returncode == 0


@needs_mosquitto
def test_publisher_rides_out_a_broker_restart(private_broker: PrivateMosquitto, start_worker: Any,
                                              fresh_database_url: str, topic_prefix: str) -> None:
    start_worker(mqtt_url=private_broker.url, client_id="fault-pub", protocol="auto")
    n = 3000
    publisher = publish_in_background(private_broker.url, [reading(topic_prefix, i) for i in range(n)], rate=500)
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= 500, 30)
    private_broker.stop()
    time.sleep(2)
    private_broker.start()
    publisher.join(60)
    assert not publisher.is_alive() and not publisher.failed  # type: ignore[attr-defined]
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= n, 60)
    assert_exactly_once(fresh_database_url, n)
