"""One query API over readings and rollups (plain PostgreSQL tables or Timescale aggregates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from envpetition.errors import InvalidInput
from envpetition.localtime import LOCAL_BIN_ORIGIN_SQL
from monitoring.flags import VALID_READING_SQL

VALID = VALID_READING_SQL
SERIES_SQL = {
    "raw": """select ts, value, flag from readings where sensor_id = %s and pollutant = %s and ts >= %s and ts < %s
              order by ts limit %s""",
    # Computed from readings through the primary key: the same SQL with or without TimescaleDB.
    "1m": """select date_bin('1 minute', ts, """ + LOCAL_BIN_ORIGIN_SQL + """) as ts, avg(value) as value,
                    count(value) as n, min(value) as min, max(value) as max
             from readings where sensor_id = %s and pollutant = %s and ts >= %s and ts < %s
               and """ + VALID + """
             group by 1 order by 1 limit %s""",
    "1h": """select bucket as ts, total / n as value, n, min, max from readings_1h
             where sensor_id = %s and pollutant = %s and bucket >= %s and bucket < %s and n > 0 order by bucket limit %s""",
}
SPAN_SQL = "select min(ts), max(ts) from readings where sensor_id = %s"
EXCEEDANCES_SQL = """
select e.*, s.name as sensor_name from exceedances e join sensors s on s.id = e.sensor_id
where e.started_at < %s and e.ended_at > %s order by e.started_at desc limit %s
"""


def series(conn: psycopg.Connection[Any], sensor_id: str, pollutant: str, start: datetime, end: datetime,
           resolution: str = "1m", limit: int = 10000) -> list[dict[str, Any]]:
    """Readings of one sensor and pollutant at ``raw``, ``1m`` or ``1h`` resolution."""
    if resolution not in SERIES_SQL:
        raise InvalidInput(f"resolution must be one of {', '.join(SERIES_SQL)}")
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(SERIES_SQL[resolution], (sensor_id, pollutant, start, end, limit)).fetchall())


def span(conn: psycopg.Connection[Any], sensor_id: str) -> tuple[datetime | None, datetime | None]:
    """First and last reading time of one sensor."""
    row = conn.execute(SPAN_SQL, (sensor_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def exceedances(conn: psycopg.Connection[Any], start: datetime, end: datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Exceedance events overlapping [start, end), newest first, ``verified`` flag included."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(EXCEEDANCES_SQL, (end, start, limit)).fetchall())


TABLE_COUNTS = "select 'sensors', count(*) from sensors union all select 'readings', count(*) from readings"
READING_AT = "select 1 from readings where sensor_id = %s and ts = %s"


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Row counts of monitoring's sensors and readings (the home page's summary)."""
    return {name: int(n) for name, n in conn.execute(TABLE_COUNTS).fetchall()}


def reading_stored(conn: psycopg.Connection[Any], sensor_id: str, ts: datetime) -> bool:
    """Whether a reading of this sensor at this time is stored."""
    return conn.execute(READING_AT, (sensor_id, ts)).fetchone() is not None


# Several sensors, one factor: the raw code and the device's own hourly average (code:1h) together.
# One backward index scan per series (the key is sensor, pollutant, ts); "= any" of both would sort them all.
LATEST_SQL = """
select s.id as sensor_id, r.ts, r.value, r.pollutant
from sensors s cross join lateral (
    select * from (
        (select ts, value, pollutant from readings where sensor_id = s.id and pollutant = %(raw)s
           and """ + VALID + """ order by ts desc limit 1)
        union all
        (select ts, value, pollutant from readings where sensor_id = s.id and pollutant = %(hourly)s
           and """ + VALID + """ order by ts desc limit 1)) both_series
    order by ts desc limit 1) r
where s.id = any(%(sensors)s)
"""
HOURLY_MANY_SQL = """
select date_bin(%(bucket)s::interval, bucket, """ + LOCAL_BIN_ORIGIN_SQL + """) as bucket, sensor_id,
       sum(total) / sum(n) as value, max(max) as peak
from readings_1h
where sensor_id = any(%(sensors)s) and pollutant = any(%(codes)s) and bucket >= %(start)s and bucket < %(end)s
  and n > 0
group by 1, 2 order by 2, 1
"""
RAW_MANY_SQL = """
select date_bin(%(bucket)s::interval, ts, """ + LOCAL_BIN_ORIGIN_SQL + """) as bucket, sensor_id,
       avg(value) as value, max(value) as peak
from readings
where sensor_id = any(%(sensors)s) and pollutant = any(%(codes)s) and ts >= %(start)s and ts < %(end)s
  and """ + VALID + """
group by 1, 2 order by 2, 1
"""
# Directions are averaged as vectors: the mean of 350° and 10° is north, not south.
WIND_HOURLY_SQL = """
select date_bin('1 hour', ts, """ + LOCAL_BIN_ORIGIN_SQL + """) as hour,
       mod(degrees(atan2(avg(sin(radians(value))) filter (where pollutant in ('a01008', 'a01008:1h')),
                         avg(cos(radians(value))) filter (where pollutant in ('a01008', 'a01008:1h'))))::numeric + 360,
           360)::float as direction,
       avg(value) filter (where pollutant in ('a01007', 'a01007:1h')) as speed
from readings
where sensor_id = %s and pollutant in ('a01008', 'a01008:1h', 'a01007', 'a01007:1h') and ts >= %s and ts < %s
  and """ + VALID + """
group by 1 order by 1
"""
HOUR = 3600


def _codes(code: str) -> list[str]:
    return [code, f"{code}:1h"]


def latest_values(conn: psycopg.Connection[Any], sensor_ids: list[str], code: str) -> dict[str, dict[str, Any]]:
    """The newest valid reading of ``code`` (or its hourly average) per sensor that has one."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(LATEST_SQL, {"raw": code, "hourly": f"{code}:1h", "sensors": sensor_ids}).fetchall()
    return {r["sensor_id"]: r for r in rows}


def bucketed_many(conn: psycopg.Connection[Any], sensor_ids: list[str], code: str, start: datetime, end: datetime,
                  bucket: str) -> list[dict[str, Any]]:
    """One factor of several sensors averaged into buckets; an hour or longer reads the hourly rollup."""
    seconds = _interval_seconds(bucket)
    params = {"bucket": bucket, "sensors": sensor_ids, "codes": _codes(code), "start": start, "end": end}
    with conn.cursor(row_factory=dict_row) as cur:
        if seconds >= HOUR and seconds % HOUR == 0:
            rows = list(cur.execute(HOURLY_MANY_SQL, params))
            if rows:  # readings written around the ingest worker have no rollup: read them raw
                return rows
        return list(cur.execute(RAW_MANY_SQL, params))


def hourly_wind(conn: psycopg.Connection[Any], met_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Hourly wind of a met station: vector-mean direction (from, degrees) and mean speed (m/s)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(WIND_HOURLY_SQL, (met_id, start, end)))


def _interval_seconds(bucket: str) -> int:
    number, _, unit = bucket.strip().partition(" ")
    scale = {"minute": 60, "minutes": 60, "hour": HOUR, "hours": HOUR, "day": 86400, "days": 86400}
    if not number.isdigit() or unit not in scale:
        raise InvalidInput(f"间隔格式错误 / bad bucket {bucket!r}; use e.g. '10 minutes', '1 hour', '1 day'")
    return int(number) * scale[unit]
