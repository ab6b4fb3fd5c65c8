"""The ingest worker and the dispatcher, unchanged, against NATS's MQTT listener (a clustering engine).

NATS speaks MQTT 3.1.1 (QoS 0/1) with sessions kept in JetStream: the worker's MQTT 5 probe is
refused and it falls back to 3.1.1 by itself. The exactly-once fault tests of the Mosquitto path run
here on a private ``nats-server`` started by the test: worker SIGKILLed mid-stream, broker
restarted under the worker (and under a publisher: an expected failure, see there). NATS 2.9 has no ``$share`` shared subscriptions:
several workers on one topic tree each receive every message and the primary key keeps one copy
(tested below) — redundancy, not division of work (README "Growing").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dispatch import test_orders as order_tests
from tests.dispatch.test_orders import committed_case  # noqa: F401 - the fixture the reused tests take
from tests.monitoring import test_faults as fault_tests
from tests.monitoring.conftest import count, wait_for
from tests.monitoring.private_nats import PrivateNats, have_nats
from tests.monitoring.test_faults import assert_exactly_once, publish_in_background, reading

pytestmark = pytest.mark.skipif(not have_nats(), reason="nats-server not installed (Debian: apt-get install nats-server)")


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[PrivateNats]:
    broker = PrivateNats(tmp_path / "nats").start()
    yield broker
    broker.stop()


def worker_env(database_url: str, broker: PrivateNats, topic_prefix: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "MQTT_URL": broker.url, "ENVPETITION_TOPIC_PREFIX": topic_prefix,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


@pytest.mark.slow
def test_nats_worker_sigkilled_mid_stream_stores_every_reading_once(nats: PrivateNats, fresh_database_url: str,
                                                                   topic_prefix: str) -> None:
    n = 10000
    command = [sys.executable, "-m", "envpetition", "workers", "run", "monitor", "--client-id", "nats-kill", "--share-group", "",
               "--analyse-every", "0"]

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=worker_env(fresh_database_url, nats, topic_prefix),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    worker = spawn()
    try:
        assert wait_for(lambda: nats.has_client("nats-kill"), 30)
        time.sleep(1)  # the subscription (a JetStream consumer) exists before the first publish
        publisher = publish_in_background(nats.url, [reading(topic_prefix, i) for i in range(n)])
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= 1500, 60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stored_at_kill = count(fresh_database_url, "select count(*) from readings")
        time.sleep(1)
        worker = spawn()
        publisher.join(120)
        assert not publisher.failed  # type: ignore[attr-defined]
        # Messages the killed worker held unacknowledged come back after NATS's ack_wait (10 s here).
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= n, 120)
        time.sleep(1)
        assert stored_at_kill < n
        assert_exactly_once(fresh_database_url, n)
    finally:
        worker.terminate()
        worker.wait(10)


def test_nats_broker_restart_worker_reconnects_by_itself(nats: PrivateNats, start_worker: Any,
                                                        fresh_database_url: str, topic_prefix: str) -> None:
    fault_tests.test_broker_restart_worker_reconnects_by_itself(nats, start_worker, fresh_database_url, topic_prefix)  # type: ignore[arg-type]


@pytest.mark.xfail(strict=False, reason=(
    "measured here: NATS 2.9.10 acknowledged but never delivered 8 of 3,000 QoS 1 messages published by the "
    "3.1.1 (paho) publisher across a broker restart (ids 602-609, the in-flight window at the stop); the same "
    "publisher against the private Mosquitto lost none. Cause not isolated yet (NATS or paho's resend)"))
def test_nats_publisher_rides_out_a_broker_restart(nats: PrivateNats, start_worker: Any, fresh_database_url: str,
                                                   topic_prefix: str) -> None:
    fault_tests.test_publisher_rides_out_a_broker_restart(nats, start_worker, fresh_database_url, topic_prefix)  # type: ignore[arg-type]


def test_nats_two_workers_without_shared_subscriptions_store_once(nats: PrivateNats, start_worker: Any,
                                                                 fresh_database_url: str, topic_prefix: str) -> None:
    first = start_worker(mqtt_url=nats.url, client_id="nats-a", protocol="auto")
    second = start_worker(mqtt_url=nats.url, client_id="nats-b", protocol="auto")
    n = 2000
    publisher = publish_in_background(nats.url, [reading(topic_prefix, i) for i in range(n)])
    publisher.join(60)
    assert wait_for(lambda: first.stats.received >= n and second.stats.received >= n, 60)
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= n, 60)
    time.sleep(0.5)
    assert_exactly_once(fresh_database_url, n)
    assert first.stats.rows_new + second.stats.rows_new == n


def test_nats_dispatch_order_round_trip(nats: PrivateNats, fresh_database_url: str, topic_prefix: str,
                                        committed_case: Any) -> None:  # noqa: F811
    order_tests.test_order_round_trip_with_team_acknowledgement(fresh_database_url, nats.url, topic_prefix, committed_case)


def test_nats_dispatch_unacknowledged_order_is_resent(nats: PrivateNats, fresh_database_url: str, topic_prefix: str,
                                                      committed_case: Any) -> None:  # noqa: F811
    order_tests.test_unacknowledged_order_is_resent_with_back_off(fresh_database_url, nats.url, topic_prefix, committed_case)
