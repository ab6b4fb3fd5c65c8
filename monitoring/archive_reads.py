"""Read archived readings (Parquet) for old time ranges and merge them with the rows still in PostgreSQL.

Queries run their SQL on ``readings`` as before and, when ``readings_archive`` lists a file
overlapping the range, add what the files hold: a pyarrow dataset scan filtered on time, sensor and
pollutant (row-group statistics skip the rest), aggregated here with the same ``date_bin``
origin as the SQL (local midnight). Buckets are merged by count, sum, min and max, so a bucket with
readings in both places (a late reading for an archived day waits in a new partition) is exact.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from monitoring.archive import SCHEMA, ArchiveUnavailable, archive_files

FILES_BY_START = "select path, sha256 from readings_archive order by range_start"
# date_bin's origin in the SQL (2000-01-01 00:00 +08:00), in epoch microseconds.
ORIGIN_US = int(datetime(1999, 12, 31, 16, tzinfo=UTC).timestamp()) * 1_000_000
VALID_FLAGS = ["N", "S", "T"]


def _ts(value: datetime) -> pa.Scalar:
    return pa.scalar(value, type=pa.timestamp("us", tz="UTC"))


def archived_table(conn: psycopg.Connection[Any], start: datetime, end: datetime, *,
                   sensors: Sequence[str] | None = None, pollutants: Sequence[str] | None = None,
                   valid_only: bool = False, columns: Sequence[str] | None = None) -> pa.Table | None:
    """Archived readings in [start, end) of these sensors and pollutants; None when nothing is archived there."""
    paths = archive_files(conn, start, end)
    if not paths:
        return None
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ArchiveUnavailable(f"归档文件缺失 / archive files missing: {', '.join(missing)}")
    expr = (pc.field("ts") >= _ts(start)) & (pc.field("ts") < _ts(end))
    if sensors is not None:
        expr &= pc.field("sensor_id").isin(list(sensors))
    if pollutants is not None:
        expr &= pc.field("pollutant").isin(list(pollutants))
    if valid_only:
        expr &= pc.field("value").is_valid() & (pc.field("flag").is_null() | pc.field("flag").isin(VALID_FLAGS))
    dataset = ds.dataset(paths, format="parquet", schema=SCHEMA)
    return dataset.to_table(columns=list(columns) if columns else None, filter=expr)


def archived_span(conn: psycopg.Connection[Any], sensor_id: str, *,
                  need_last: bool = True) -> tuple[datetime | None, datetime | None]:
    """First and (when ``need_last``) last archived reading time of one sensor, reading as few files as it can."""
    files = [path for path, _ in conn.execute(FILES_BY_START).fetchall()]
    first = last = None
    for path in files:
        first = _extreme(path, sensor_id, pc.min)
        if first is not None:
            break
    for path in reversed(files) if need_last and first is not None else ():
        last = _extreme(path, sensor_id, pc.max)
        if last is not None:
            break
    return first, last


def _extreme(path: str, sensor_id: str, how: Any) -> datetime | None:
    if not os.path.exists(path):
        raise ArchiveUnavailable(f"归档文件缺失 / archive file missing: {path}")
    table = ds.dataset(path, format="parquet", schema=SCHEMA).to_table(
        columns=["ts"], filter=pc.field("sensor_id") == sensor_id)
    return how(table.column("ts")).as_py() if table.num_rows else None


def archived_rows(conn: psycopg.Connection[Any], start: datetime, end: datetime, columns: Sequence[str],
                  **filters: Any) -> list[tuple[Any, ...]]:
    """Archived readings as tuples of ``columns`` (``ts`` as an aware datetime), ordered by time."""
    table = archived_table(conn, start, end, columns=columns, **filters)
    if table is None or table.num_rows == 0:
        return []
    table = table.sort_by("ts")
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def archived_buckets(conn: psycopg.Connection[Any], sensor_id: str, start: datetime, end: datetime,
                     width: timedelta, pollutants: Sequence[str] | None = None) -> dict[tuple[datetime, str], list[float]]:
    """``{(bucket, pollutant): [n, total, min, max]}`` of valid archived readings of one sensor."""
    table = archived_table(conn, start, end, sensors=[sensor_id], pollutants=pollutants, valid_only=True,
                           columns=["ts", "pollutant", "value"])
    if table is None or table.num_rows == 0:
        return {}
    width_us = int(width.total_seconds() * 1_000_000)
    ts_us = table.column("ts").cast(pa.int64()).to_numpy()
    buckets = ORIGIN_US + (ts_us - ORIGIN_US) // width_us * width_us
    values = table.column("value").to_numpy()
    codes = np.asarray(table.column("pollutant").to_pylist(), dtype=object)
    out: dict[tuple[datetime, str], list[float]] = {}
    order = np.lexsort((buckets, codes))
    keys = list(zip(codes[order], buckets[order], strict=True))
    sorted_values = values[order]
    boundaries = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    for lo, hi in zip(boundaries[:-1], boundaries[1:], strict=True):
        code, bucket_us = keys[lo]
        chunk = sorted_values[lo:hi]
        when = datetime.fromtimestamp(int(bucket_us) / 1_000_000, UTC)
        out[(when, str(code))] = [hi - lo, float(chunk.sum()), float(chunk.min()), float(chunk.max())]
    return out


def merge_buckets(hot: Iterable[dict[str, Any]], archived: dict[tuple[datetime, str], list[float]],
                  *, ts_key: str, pollutant: str | None = None, peak_only: bool = False) -> list[dict[str, Any]]:
    """Merge SQL bucket rows (``value`` = mean, ``n``, ``min`` and ``max``, or only ``peak``) with archived buckets.

    ``pollutant`` names the one pollutant of rows that carry none.

    >>> from datetime import datetime, UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> merge_buckets([{"ts": t, "value": 2.0, "n": 2, "min": 1.0, "max": 3.0}], {(t, "p"): [2, 10.0, 4.0, 6.0]},
    ...               ts_key="ts", pollutant="p")
    [{'ts': datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), 'value': 3.5, 'n': 4, 'min': 1.0, 'max': 6.0}]
    """
    merged: dict[tuple[datetime, str], dict[str, Any]] = {}
    for row in hot:
        merged[(row[ts_key], pollutant or row["pollutant"])] = dict(row)
    for (bucket, code), (n, total, low, high) in archived.items():
        key = (bucket, code)
        found = merged.get(key)
        if found is None:
            fresh: dict[str, Any] = {ts_key: bucket} if pollutant else {ts_key: bucket, "pollutant": code}
            fresh.update({"value": total / n, "n": int(n)})
            fresh.update({"peak": high} if peak_only else {"min": low, "max": high})
            merged[key] = fresh
            continue
        row = found
        n_hot = int(row["n"])
        row["value"] = (float(row["value"]) * n_hot + total) / (n_hot + n)
        row["n"] = n_hot + int(n)
        if "min" in row:
            row["min"] = min(float(row["min"]), low)
        for top in ("max", "peak"):
            if top in row:
                row[top] = max(float(row[top]), high)
    return [merged[key] for key in sorted(merged, key=lambda k: (k[0], k[1]))]
