"""Daily partitions of ``readings`` on plain PostgreSQL: list them, create them ahead, find the aged-out.

Partitions are local days (Asia/Shanghai midnight to midnight), like TimescaleDB's 1-day chunks on
the other path. ``readings_default`` catches a reading no partition covers yet (a device clock far
ahead, a late replay); housekeeping gives those rows a partition of their own day. Creating
partitions is housekeeping (the worker's analysis thread, ``envpetition storage maintain``), never
the ingest hot path. Repository functions take a connection first and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from monitoring.storage import BUCKET_ORIGIN, timescale_enabled

PARTITION_WIDTH = timedelta(days=1)
DAYS_AHEAD = 7
PARTITION_LOCK_ID = 7_212_370  # the advisory lock serialising partition housekeeping
DEFAULT_RETENTION_DAYS = 400  # as the Timescale path's retention policy (migration 0300)

IS_PARTITIONED = "select relkind = 'p' from pg_class where oid = 'readings'::regclass"
LIST_PARTITIONS = """
select c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint,
       pg_total_relation_size(c.oid)
from pg_inherits i join pg_class c on c.oid = i.inhrelid
where i.inhparent = 'readings'::regclass
order by c.relname
"""
DEFAULT_DAYS = f"select distinct date_bin('1 day', ts, {BUCKET_ORIGIN}) from readings_default order by 1"
ADD_PARTITION = "select readings_add_partition(%s, %s)"
DAY_START = f"select date_bin('1 day', %s::timestamptz, {BUCKET_ORIGIN})"
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None for the default partition
    end: datetime | None
    estimated_rows: int
    bytes: int


def is_partitioned(conn: psycopg.Connection[Any]) -> bool:
    """Is ``readings`` a declaratively partitioned table (the plain-PostgreSQL layout of migration 0320)?"""
    row = conn.execute(IS_PARTITIONED).fetchone()
    return bool(row and row[0])


def list_partitions(conn: psycopg.Connection[Any]) -> list[Partition]:
    """Every partition of ``readings`` with its bounds, ordered by start (the default one last)."""
    found = []
    for name, bound, tuples, size in conn.execute(LIST_PARTITIONS).fetchall():
        match = _BOUND.search(bound or "")
        start = end = None
        if match:
            start, end = (conn.execute("select %s::timestamptz", (text,)).fetchone()[0]  # type: ignore[index]
                          for text in match.groups())
        found.append(Partition(name, start, end, max(int(tuples), 0), int(size)))
    return sorted(found, key=lambda p: (p.start is None, p.start or datetime.min))


def ensure_partitions(conn: psycopg.Connection[Any], now: datetime, days_ahead: int = DAYS_AHEAD) -> list[str]:
    """Create the partitions of today and ``days_ahead`` days on, and of any day the default one holds.

    Returns the names created. A no-op under TimescaleDB or when ``readings`` is not partitioned.
    """
    if timescale_enabled(conn) or not is_partitioned(conn):
        return []
    created = []
    with conn.transaction():
        # Several workers run housekeeping: one at a time, and none waits long behind a query.
        conn.execute("select pg_advisory_xact_lock(%s)", (PARTITION_LOCK_ID,))
        conn.execute("set local lock_timeout = '10s'")
        covered = {p.start for p in list_partitions(conn) if p.start is not None}
        first = conn.execute(DAY_START, (now,)).fetchone()[0]  # type: ignore[index]
        wanted = {first + i * PARTITION_WIDTH for i in range(days_ahead + 1)}
        wanted.update(day for (day,) in conn.execute(DEFAULT_DAYS).fetchall())
        for day in sorted(wanted - covered):
            name = conn.execute(ADD_PARTITION, (day, day + PARTITION_WIDTH)).fetchone()[0]  # type: ignore[index]
            if name:
                created.append(name)
    return created


def aged_out(partitions: list[Partition], now: datetime, retention_days: int = DEFAULT_RETENTION_DAYS) -> list[Partition]:
    """The dated partitions that end before ``now - retention_days`` (pure: ``now`` passed in).

    >>> from datetime import UTC
    >>> day = datetime(2024, 1, 1, tzinfo=UTC)
    >>> parts = [Partition("a", day, day + PARTITION_WIDTH, 0, 0), Partition("readings_default", None, None, 0, 0)]
    >>> [p.name for p in aged_out(parts, day + timedelta(days=401))], aged_out(parts, day + timedelta(days=400, hours=23))
    (['a'], [])
    """
    cutoff = now - timedelta(days=retention_days)
    return [p for p in partitions if p.end is not None and p.end <= cutoff]
