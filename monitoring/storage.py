"""Reading storage: staged binary COPY, ``ON CONFLICT DO NOTHING``, rollups, dead letters.

Repository functions take a connection first and never commit. With TimescaleDB the rollups
``readings_1m``/``readings_1h`` are continuous aggregates; without it ``readings_1h`` is a table
updated here from exactly the rows that were new (``RETURNING`` of the insert), so redelivery
never counts twice, and ``readings_1m`` is a view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import psycopg

from monitoring.payloads import Row

VALID_FLAGS_SQL = "(flag is null or flag in ('N', 'S', 'T'))"
# Day and 1 h buckets start at local midnight / on the hour in Asia/Shanghai.
BUCKET_ORIGIN = "timestamptz '2000-01-01 00:00:00+08'"

CREATE_STAGING = """
create temp table if not exists staging_readings (
    ts timestamptz, sensor_id text, pollutant text, value double precision, flag text,
    lon double precision, lat double precision, tag text
) on commit delete rows
"""
COPY_STAGING = "copy staging_readings (ts, sensor_id, pollutant, value, flag, lon, lat, tag) from stdin (format binary)"
COPY_TYPES = ["timestamptz", "text", "text", "float8", "text", "float8", "float8", "text"]

INSERT_FROM_STAGING = """
insert into readings (ts, sensor_id, pollutant, value, flag, lon, lat, tag)
select ts, sensor_id, pollutant, value, flag, lon, lat, tag from staging_readings
on conflict do nothing
"""
_ROLLUP_UPSERT = """
{name} as (
    insert into {table} as r (bucket, sensor_id, pollutant, n, total, min, max)
    select date_bin('{width}', ts, {origin}), sensor_id, pollutant, count(*), sum(value), min(value), max(value)
    from ins where value is not null and {valid}
    group by 1, 2, 3 order by 2, 3, 1
    on conflict (sensor_id, pollutant, bucket) do update
    set n = r.n + excluded.n, total = r.total + excluded.total,
        min = least(r.min, excluded.min), max = greatest(r.max, excluded.max)
)"""
INSERT_AND_ROLL_UP = (
    "with ins as (" + INSERT_FROM_STAGING + " returning ts, sensor_id, pollutant, value, flag), "
    + _ROLLUP_UPSERT.format(name="h", table="readings_1h", width="1 hour", origin=BUCKET_ORIGIN, valid=VALID_FLAGS_SQL)
    + " select count(*) from ins"
)
INSERT_DEAD_LETTER = """
insert into dead_letters (topic, payload, reason, digest) values (%s, %s, %s, %s)
on conflict (digest) do nothing
"""
TIMESCALE_PRESENT = "select exists (select 1 from pg_extension where extname = 'timescaledb')"
SENSOR_MNS = "select mn, id from sensors where mn is not null"


def timescale_enabled(conn: psycopg.Connection[Any]) -> bool:
    """The one feature check: is the TimescaleDB extension installed in this database?"""
    row = conn.execute(TIMESCALE_PRESENT).fetchone()
    return bool(row and row[0])


def mn_map(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """HJ 212 MN → sensor id for registered sensors."""
    return {mn: sensor_id for mn, sensor_id in conn.execute(SENSOR_MNS).fetchall()}


def prepare_connection(conn: psycopg.Connection[Any]) -> None:
    """Create this session's staging table (temporary, emptied at every commit)."""
    conn.execute(CREATE_STAGING)


def store_rows(conn: psycopg.Connection[Any], rows: Sequence[Row], *, maintain_rollups: bool) -> int:
    """COPY rows into the staging table and insert the new ones; return how many were new.

    Call :func:`prepare_connection` once per connection first.
    """
    if not rows:
        return 0
    with conn.cursor() as cur:
        with cur.copy(COPY_STAGING) as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        if maintain_rollups:
            result = cur.execute(INSERT_AND_ROLL_UP).fetchone()
            return int(result[0]) if result else 0
        cur.execute(INSERT_FROM_STAGING)
        return max(cur.rowcount, 0)


def message_digest(topic: str, payload: bytes) -> bytes:
    return hashlib.sha256(topic.encode() + b"\x00" + payload).digest()


def store_dead_letters(conn: psycopg.Connection[Any], letters: Sequence[tuple[str, bytes, str]]) -> int:
    """Keep malformed messages (topic, raw payload, reason); the same message twice is kept once."""
    if not letters:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            INSERT_DEAD_LETTER, [(topic, payload, reason, message_digest(topic, payload)) for topic, payload, reason in letters]
        )
    return len(letters)
