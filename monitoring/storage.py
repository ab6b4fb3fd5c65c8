"""Reading storage: binary COPY, ``ON CONFLICT DO NOTHING`` for redeliveries, rollups, dead letters.

Repository functions take a connection first and never commit. A batch is first COPYed straight
into ``readings`` inside a savepoint: the common case, about three times cheaper than going
through a staging table. A batch holding a reading already stored (a redelivery) fails that
COPY with a unique violation and goes the slow way: COPY into a staging table, then ``INSERT ...
ON CONFLICT DO NOTHING``.

With TimescaleDB the rollups ``readings_1m``/``readings_1h`` are continuous aggregates; without it
``readings_1h`` is a table updated here from exactly the rows that were new (all of them on the
fast path, the ``RETURNING`` of the insert on the slow one), so redelivery never counts twice,
and ``readings_1m`` is a view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from envpetition.db import copy_rows
from envpetition.localtime import LOCAL_BIN_ORIGIN_SQL as BUCKET_ORIGIN
from monitoring.flags import VALID_FLAGS, VALID_FLAGS_SQL
from monitoring.payloads import Row

__all__ = ["BUCKET_ORIGIN", "VALID_FLAGS"]

CREATE_STAGING = """
create temp table if not exists staging_readings (
    ts timestamptz, sensor_id text, pollutant text, value double precision, flag text,
    lon double precision, lat double precision, tag text
) on commit delete rows
"""
COPY_STAGING = "copy staging_readings (ts, sensor_id, pollutant, value, flag, lon, lat, tag) from stdin (format binary)"
COPY_READINGS = "copy readings (ts, sensor_id, pollutant, value, flag, lon, lat, tag) from stdin (format binary)"
COPY_TYPES = ["timestamptz", "text", "text", "float8", "text", "float8", "float8", "text"]

# Sums of an hour add to what the rollup row already holds.
_ADD_TO_ROLLUP = """on conflict (sensor_id, pollutant, bucket) do update
set n = r.n + excluded.n, total = r.total + excluded.total,
    min = least(r.min, excluded.min), max = greatest(r.max, excluded.max)"""
# Each statement empties the staging table it reads ("delete ... returning"), so a caller that
# stores several batches in one transaction never sees a batch twice.
_TAKE_STAGED = "staged as (delete from staging_readings returning ts, sensor_id, pollutant, value, flag, lon, lat, tag)"
_INSERT_STAGED = """
insert into readings (ts, sensor_id, pollutant, value, flag, lon, lat, tag)
select ts, sensor_id, pollutant, value, flag, lon, lat, tag from staged
on conflict do nothing
"""
INSERT_FROM_STAGING = f"with {_TAKE_STAGED} {_INSERT_STAGED}"
INSERT_AND_ROLL_UP = f"""
with {_TAKE_STAGED},
ins as ({_INSERT_STAGED} returning ts, sensor_id, pollutant, value, flag),
h as (
    insert into readings_1h as r (bucket, sensor_id, pollutant, n, total, min, max)
    select date_bin('1 hour', ts, {BUCKET_ORIGIN}), sensor_id, pollutant, count(*), sum(value), min(value), max(value)
    from ins where value is not null and {VALID_FLAGS_SQL}
    group by 1, 2, 3 order by 2, 3, 1
    {_ADD_TO_ROLLUP}
)
select count(*) from ins
"""
CREATE_STAGING_ROLLUPS = """
create temp table if not exists staging_rollups (
    bucket timestamptz, sensor_id text, pollutant text, n bigint, total double precision,
    min double precision, max double precision
) on commit delete rows
"""
COPY_STAGING_ROLLUPS = "copy staging_rollups (bucket, sensor_id, pollutant, n, total, min, max) from stdin (format binary)"
ROLLUP_TYPES = ["timestamptz", "text", "text", "int8", "float8", "float8", "float8"]
UPSERT_ROLLUPS = f"""
with staged as (delete from staging_rollups returning bucket, sensor_id, pollutant, n, total, min, max)
insert into readings_1h as r (bucket, sensor_id, pollutant, n, total, min, max)
select bucket, sensor_id, pollutant, n, total, min, max from staged
order by 2, 3, 1
{_ADD_TO_ROLLUP}
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
    """Create this session's staging tables (temporary, emptied at every commit)."""
    conn.execute(CREATE_STAGING)
    conn.execute(CREATE_STAGING_ROLLUPS)


def store_rows(conn: psycopg.Connection[Any], rows: Sequence[Row], *, maintain_rollups: bool,
               rollups: HourlyRollups | None = None) -> int:
    """Store the rows that are new; return how many were.

    ``rollups`` may bring the rows' hourly rollups computed beforehand (the worker's parser thread
    does, while the writer is busy). Call :func:`prepare_connection` once per connection first.
    """
    if not rows:
        return 0
    try:
        with conn.transaction():  # a savepoint: a failed COPY leaves the caller's transaction usable
            copy_rows(conn, COPY_READINGS, COPY_TYPES, rows)
    except psycopg.errors.UniqueViolation:
        return _store_through_staging(conn, rows, maintain_rollups=maintain_rollups)
    if maintain_rollups:
        upsert_hourly_rollups(conn, (rollups or HourlyRollups().add(rows)).rows())
    return len(rows)


def _store_through_staging(conn: psycopg.Connection[Any], rows: Sequence[Row], *, maintain_rollups: bool) -> int:
    copy_rows(conn, COPY_STAGING, COPY_TYPES, rows)
    with conn.cursor() as cur:
        if maintain_rollups:
            result = cur.execute(INSERT_AND_ROLL_UP).fetchone()
            return int(result[0]) if result else 0
        cur.execute(INSERT_FROM_STAGING)
        return max(cur.rowcount, 0)


Rollup = tuple[datetime, str, str, int, float, float, float]


class HourlyRollups:
    """n, total, min and max of the valid readings per sensor, pollutant and hour, batch by batch.

    Hours start on the hour in Asia/Shanghai (UTC+8, so on the UTC hour too), as ``date_bin``
    with :data:`BUCKET_ORIGIN` does in SQL.

    >>> from datetime import datetime, timedelta, timezone
    >>> t = datetime(2025, 1, 1, 8, 59, tzinfo=timezone(timedelta(hours=8)))
    >>> rollups = HourlyRollups().add([(t, "S1", "a34004", 2.0, "N", None, None, None),
    ...                                (t, "S1", "a34004", 99.0, "D", None, None, None)])
    >>> rollups.merge(HourlyRollups().add([(t, "S1", "a34004", 4.0, None, None, None, None),
    ...                                    (t + timedelta(minutes=1), "S1", "a34004", 1.0, "N", None, None, None)]))
    >>> [(b.isoformat(), n, total, lo, hi) for b, _, _, n, total, lo, hi in rollups.rows()]
    [('2025-01-01T00:00:00+00:00', 2, 6.0, 2.0, 4.0), ('2025-01-01T01:00:00+00:00', 1, 1.0, 1.0, 1.0)]
    """

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, int], list[float]] = {}

    def add(self, rows: Sequence[Row]) -> HourlyRollups:
        groups = self.groups
        hours: dict[datetime, int] = {}  # many readings share a moment; timestamp() costs ~1 us
        for ts, sensor, pollutant, value, flag, _lon, _lat, _tag in rows:  # no *rest: it builds a list a row
            if value is None or flag not in VALID_FLAGS:
                continue
            hour = hours.get(ts)
            if hour is None:
                hour = hours[ts] = int(ts.timestamp() // 3600)
            key = (sensor, pollutant, hour)
            group = groups.get(key)
            if group is None:
                groups[key] = [1, value, value, value]
            else:
                group[0] += 1
                group[1] += value
                if value < group[2]:
                    group[2] = value
                elif value > group[3]:
                    group[3] = value
        return self

    def merge(self, other: HourlyRollups) -> None:
        for key, (n, total, low, high) in other.groups.items():
            group = self.groups.get(key)
            if group is None:
                self.groups[key] = [n, total, low, high]
            else:
                group[0] += n
                group[1] += total
                group[2] = min(group[2], low)
                group[3] = max(group[3], high)

    def rows(self) -> list[Rollup]:
        """``(bucket, sensor, pollutant, n, total, min, max)`` rows for ``readings_1h``."""
        return [(datetime.fromtimestamp(hour * 3600, UTC), sensor, pollutant, int(n), total, low, high)
                for (sensor, pollutant, hour), (n, total, low, high) in self.groups.items()]


def upsert_hourly_rollups(conn: psycopg.Connection[Any], rollups: Sequence[Rollup]) -> None:
    if rollups:
        copy_rows(conn, COPY_STAGING_ROLLUPS, ROLLUP_TYPES, rollups)
        conn.execute(UPSERT_ROLLUPS)
