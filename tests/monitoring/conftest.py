"""Helpers for the monitoring tests: a counting publisher, waiting for rows, broker kind."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from envpetition.db import connect
from monitoring.worker import IngestWorker

REAL_BROKER = bool(os.environ.get("MQTT_URL"))


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def count(url: str, sql: str, params: tuple[Any, ...] = ()) -> int:
    with connect(url, autocommit=True) as c:
        row = c.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def start_worker(fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> Iterator[Callable[..., IngestWorker]]:
    """Start in-process workers on this test's database and topic tree; stopped at the end."""
    workers: list[IngestWorker] = []

    def start(**overrides: Any) -> IngestWorker:
        options: dict[str, Any] = {
            "topic_prefix": topic_prefix,
            "client_id": f"t-{uuid.uuid4().hex[:8]}",
            "share_group": None,
            "protocol": "auto" if REAL_BROKER else "3.1.1",
        }
        options.update(overrides)
        worker = IngestWorker(options.pop("database_url", fresh_database_url), options.pop("mqtt_url", mqtt_url), **options)
        worker.start()
        assert worker.wait_connected(15), "worker did not connect"
        time.sleep(0.3)  # let the SUBACK arrive before the test publishes
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
