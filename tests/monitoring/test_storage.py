"""Reading storage: the direct COPY path and the staging path store and roll up the same."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg

from monitoring import storage
from monitoring.payloads import Row

ZONES = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-3))]


def random_rows(seed: int, n: int, sensor_prefix: str) -> list[Row]:
    rng = random.Random(seed)
    rows: dict[tuple[str, str, datetime], Row] = {}
    base = datetime(2025, 3, 1, tzinfo=UTC)
    while len(rows) < n:
        ts = (base + timedelta(minutes=rng.randrange(60 * 30))).astimezone(rng.choice(ZONES))
        sensor, pollutant = f"{sensor_prefix}{rng.randrange(5)}", rng.choice(["a34004", "a21026", "a05024"])
        value = None if rng.random() < 0.05 else round(rng.uniform(-5, 300), 3)
        flag = rng.choice([None, "N", "N", "N", "S", "T", "D", "C", "M"])
        rows[(sensor, pollutant, ts)] = (ts, sensor, pollutant, value, flag, None, None, None)
    return list(rows.values())


def rollups(conn: psycopg.Connection[Any], prefix: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select bucket, substr(sensor_id, 2), pollutant, n, round(total::numeric, 6), min, max from readings_1h"
        " where sensor_id like %s order by 1, 2, 3", (prefix + "%",)).fetchall()


def test_direct_copy_rolls_up_exactly_as_the_sql_path(conn: psycopg.Connection[Any]) -> None:
    storage.prepare_connection(conn)
    fast, slow = random_rows(7, 3000, "F"), random_rows(7, 3000, "S")
    for start in range(0, 3000, 700):
        assert storage.store_rows(conn, fast[start:start + 700], maintain_rollups=True) == len(fast[start:start + 700])
        assert storage._store_through_staging(conn, slow[start:start + 700], maintain_rollups=True) == len(slow[start:start + 700])
    by_fast, by_sql = rollups(conn, "F"), rollups(conn, "S")
    assert len(by_fast) > 100 and by_fast == by_sql


def test_a_batch_holding_stored_readings_stores_only_the_new_ones(conn: psycopg.Connection[Any]) -> None:
    storage.prepare_connection(conn)
    first, second = random_rows(1, 500, "R")[:300], random_rows(1, 500, "R")[300:]
    assert storage.store_rows(conn, first, maintain_rollups=True) == 300
    assert storage.store_rows(conn, first[:40] + second + first[-5:], maintain_rollups=True) == 200
    assert storage.store_rows(conn, second, maintain_rollups=True) == 0
    # The same reading twice in one batch (a redelivery racing its original) is stored once too.
    extra = random_rows(2, 10, "X")
    assert storage.store_rows(conn, extra + extra[:3], maintain_rollups=True) == 10
    assert conn.execute("select count(*) from readings where sensor_id like 'R%'").fetchone() == (500,)
    valid = sum(1 for r in first + second if r[3] is not None and r[4] in storage.VALID_FLAGS)
    assert conn.execute("select sum(n) from readings_1h where sensor_id like 'R%'").fetchone() == (valid,)
