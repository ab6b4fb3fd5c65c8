"""Archive aged-out partitions of ``readings`` to Parquet (zstd), then drop them; read the archive back.

One file per partition, rows sorted by sensor, pollutant and time (the primary key's order: runs of
one series compress well and row-group statistics let a reader skip other sensors). The file's
SHA-256 goes into ``readings_archive`` in the same transaction that drops the partition, so a
reading is always in exactly one of the two places. The export runs without locking the partition;
a reading that arrives for that day meanwhile changes the row count, which is checked under an
exclusive lock just before the drop: the archive is then abandoned and retried on the next run.

Archive files must be readable wherever queries run (a shared or object-store mount for replicas
and several web servers); a file that is missing or altered raises :class:`ArchiveUnavailable`,
never a silently shorter series.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from envpetition.errors import DomainError
from monitoring.partitions import DEFAULT_RETENTION_DAYS, Partition, aged_out, list_partitions

SCHEMA = pa.schema([
    ("ts", pa.timestamp("us", tz="UTC")), ("sensor_id", pa.string()), ("pollutant", pa.string()),
    ("value", pa.float64()), ("flag", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
    ("tag", pa.string()),
])
# Epoch microseconds: exact, and parsed by pyarrow's C++ CSV reader without a time-zone dialect.
EXPORT = """copy (select (extract(epoch from ts) * 1000000)::bigint, sensor_id, pollutant, value, flag, lon, lat, tag
from {} order by sensor_id, pollutant, ts) to stdout (format csv)"""
COUNT = "select count(*) from {}"
LOCK = "lock table {} in access exclusive mode"
DROP = "drop table {}"
RECORD = """
insert into readings_archive (partition_name, range_start, range_end, path, rows, bytes, sha256, hot_bytes)
values (%s, %s, %s, %s, %s, %s, %s, %s) returning id
"""
FILES_OVERLAPPING = "select path, sha256 from readings_archive where range_start < %s and range_end > %s order by range_start"
ALL_FILES = "select id, path, sha256, rows from readings_archive order by range_start"
ROW_GROUP_ROWS = 262_144


class ArchiveUnavailable(DomainError):
    """An archive file listed in ``readings_archive`` is missing or does not match its checksum."""

    status = 503


@dataclass(frozen=True)
class Archived:
    partition: str
    path: str
    rows: int
    bytes: int
    sha256: str


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _export_csv(conn: psycopg.Connection[Any], partition: str, target: Any) -> None:
    with conn.cursor() as cur, cur.copy(sql.SQL(EXPORT).format(sql.Identifier(partition))) as copy:
        for block in copy:
            target.write(block)


def write_parquet(csv_path: Path, parquet_path: Path) -> int:
    """Convert the exported CSV to a zstd Parquet file; return the number of rows written."""
    names = ["ts_us", *SCHEMA.names[1:]]
    types = {"ts_us": pa.int64(), **{f.name: f.type for f in SCHEMA if f.name != "ts"}}
    reader = pacsv.open_csv(csv_path, read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
                            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
    rows = 0
    with pq.ParquetWriter(parquet_path, SCHEMA, compression="zstd", compression_level=9,
                          use_dictionary=["sensor_id", "pollutant", "flag", "tag"],
                          column_encoding={"ts": "DELTA_BINARY_PACKED", "value": "BYTE_STREAM_SPLIT",
                                           "lon": "BYTE_STREAM_SPLIT", "lat": "BYTE_STREAM_SPLIT"},
                          write_statistics=["ts", "sensor_id", "pollutant"]) as writer:
        for batch in reader:
            ts = batch.column("ts_us").cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
            table = pa.Table.from_arrays([ts, *batch.columns[1:]], schema=SCHEMA)
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            rows += table.num_rows
    return rows


def archive_partition(conn: psycopg.Connection[Any], partition: Partition, folder: Path) -> Archived | None:
    """Write one partition to ``folder`` as Parquet, list it in ``readings_archive``, drop the partition.

    Returns None (and drops nothing) when readings arrived for that day while it was being written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    final = folder / f"{partition.name}-{stamp}.parquet"
    table = sql.Identifier(partition.name)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        csv_path, part_path = Path(tmp) / "rows.csv", Path(tmp) / "rows.parquet"
        with conn.transaction(), open(csv_path, "wb") as out:
            hot_bytes = conn.execute("select pg_total_relation_size(%s::regclass)", (partition.name,)).fetchone()[0]  # type: ignore[index]
            _export_csv(conn, partition.name, out)
        if csv_path.stat().st_size == 0:
            return _drop_if_still_empty(conn, partition)
        rows = write_parquet(csv_path, part_path)
        if pq.ParquetFile(part_path).metadata.num_rows != rows:
            raise ArchiveUnavailable(f"归档文件写入校验失败 / {part_path}: the written file does not read back {rows} rows")
        with open(part_path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(part_path, final)
    checksum, size = file_sha256(final), final.stat().st_size
    with conn.transaction():
        conn.execute("set local lock_timeout = '10s'")
        conn.execute(sql.SQL(LOCK).format(table))
        now_rows = conn.execute(sql.SQL(COUNT).format(table)).fetchone()[0]  # type: ignore[index]
        if now_rows != rows:
            final.unlink()
            return None
        conn.execute(RECORD, (partition.name, partition.start, partition.end, str(final.resolve()), rows, size,
                              checksum, hot_bytes))
        conn.execute(sql.SQL(DROP).format(table))
    return Archived(partition.name, str(final.resolve()), rows, size, checksum)


def _drop_if_still_empty(conn: psycopg.Connection[Any], partition: Partition) -> Archived | None:
    """An empty partition goes without a file (and stays if a reading arrived meanwhile)."""
    table = sql.Identifier(partition.name)
    with conn.transaction():
        conn.execute("set local lock_timeout = '10s'")
        conn.execute(sql.SQL(LOCK).format(table))
        if conn.execute(sql.SQL(COUNT).format(table)).fetchone()[0]:  # type: ignore[index]
            return None
        conn.execute(sql.SQL(DROP).format(table))
    return Archived(partition.name, "", 0, 0, "")


def archive_aged_out(conn: psycopg.Connection[Any], folder: Path, now: datetime,
                     retention_days: int = DEFAULT_RETENTION_DAYS) -> list[Archived]:
    """Archive and drop every partition older than the retention period (empty ones are dropped without a file)."""
    done = []
    for partition in aged_out(list_partitions(conn), now, retention_days):
        result = archive_partition(conn, partition, folder)
        if result is not None:
            done.append(result)
    return done


def verify_archive(conn: psycopg.Connection[Any]) -> list[str]:
    """Problems found re-reading every archive file (missing, checksum, row count); empty when all is well."""
    problems = []
    for _id, path, checksum, rows in conn.execute(ALL_FILES).fetchall():
        if not os.path.exists(path):
            problems.append(f"{path}: missing")
        elif file_sha256(path) != checksum:
            problems.append(f"{path}: checksum differs from readings_archive")
        elif pq.ParquetFile(path).metadata.num_rows != rows:
            problems.append(f"{path}: {pq.ParquetFile(path).metadata.num_rows} rows, {rows} listed")
    return problems


def archive_files(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> list[str]:
    """Paths of the archive files that may hold readings in [start, end)."""
    return [path for path, _ in conn.execute(FILES_OVERLAPPING, (end, start)).fetchall()]
