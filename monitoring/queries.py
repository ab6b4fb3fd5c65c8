"""One query API over readings and rollups (plain PostgreSQL tables or Timescale aggregates).

Ranges older than the raw-reading retention read the Parquet archive too (monitoring/archive_reads.py);
hourly rollups are kept for ever in ``readings_1h`` and need no archive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from envpetition.errors import InvalidInput
from envpetition.localtime import LOCAL_BIN_ORIGIN_SQL
from monitoring.archive import archive_files
from monitoring.archive_reads import archived_buckets, archived_rows, archived_span, merge_buckets
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
BUCKETED_SQL = """
select date_bin(%(bucket)s::interval, ts, """ + LOCAL_BIN_ORIGIN_SQL + """) as bucket,
       pollutant, avg(value) as value, max(value) as peak, count(*) as n
from readings
where sensor_id = %(sensor)s and ts >= %(start)s and ts < %(end)s and """ + VALID + """
group by 1, 2 order by 1
"""
# Hour-multiple buckets over archived days come from the hourly rollups, which are kept for ever and
# count the same valid readings (late ones included) without opening the archive.
ROLLUP_BUCKETED_SQL = """
select date_bin(%(bucket)s::interval, bucket, """ + LOCAL_BIN_ORIGIN_SQL + """) as bucket,
       pollutant, sum(total) / sum(n) as value, max(max) as peak, sum(n)::bigint as n
from readings_1h
where sensor_id = %(sensor)s and bucket >= %(start)s and bucket < %(end)s and n > 0
group by 1, 2 order by 1, 2
"""
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
        hot = list(cur.execute(SERIES_SQL[resolution], (sensor_id, pollutant, start, end, limit)).fetchall())
    if resolution == "raw":
        old = archived_rows(conn, start, end, ["ts", "value", "flag"], sensors=[sensor_id], pollutants=[pollutant])
        if not old:
            return hot
        merged = {row["ts"]: row for row in ({"ts": t, "value": v, "flag": f} for t, v, f in old)}
        merged.update((row["ts"], row) for row in hot)  # a reading in both places (mid-archive) counts once
        return [merged[t] for t in sorted(merged)][:limit]
    if resolution == "1m":
        old_buckets = archived_buckets(conn, sensor_id, start, end, timedelta(minutes=1), [pollutant])
        if old_buckets:
            return merge_buckets(hot, old_buckets, ts_key="ts", pollutant=pollutant)[:limit]
    return hot


def bucketed(conn: psycopg.Connection[Any], sensor_id: str, start: datetime, end: datetime,
             bucket: str) -> list[dict[str, Any]]:
    """Every pollutant of one sensor averaged into buckets of ``bucket`` (e.g. '10 minutes'), local midnight origin."""
    params = {"bucket": bucket, "sensor": sensor_id, "start": start, "end": end}
    with conn.cursor(row_factory=dict_row) as cur:
        width = cur.execute("select %s::interval", (bucket,)).fetchone()["interval"]  # type: ignore[index]
        archived = bool(archive_files(conn, start, end))
        if archived and _whole_hours(width, start, end):
            return list(cur.execute(ROLLUP_BUCKETED_SQL, params))
        hot = list(cur.execute(BUCKETED_SQL, params))
    old = archived_buckets(conn, sensor_id, start, end, width) if archived else {}
    return merge_buckets(hot, old, ts_key="bucket", peak_only=True) if old else hot


def _whole_hours(width: timedelta, start: datetime, end: datetime) -> bool:
    hour = timedelta(hours=1)
    return width % hour == timedelta(0) and all(t.timestamp() % 3600 == 0 for t in (start, end))


def span(conn: psycopg.Connection[Any], sensor_id: str) -> tuple[datetime | None, datetime | None]:
    """First and last reading time of one sensor."""
    row = conn.execute(SPAN_SQL, (sensor_id,)).fetchone()
    first, last = (row[0], row[1]) if row else (None, None)
    # The archive holds only days before the hot partitions: its oldest file with this sensor gives
    # the first reading, and only with nothing hot is the newest file needed for the last.
    old_first, old_last = archived_span(conn, sensor_id, need_last=last is None)
    first = min(t for t in (first, old_first) if t is not None) if (first or old_first) else None
    last = max(t for t in (last, old_last) if t is not None) if (last or old_last) else None
    return first, last


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
