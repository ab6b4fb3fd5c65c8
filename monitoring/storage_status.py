"""What ``readings`` takes: partitions, sizes, bytes per reading in PostgreSQL and in the archive."""

from __future__ import annotations

from typing import Any

import psycopg

from monitoring.partitions import is_partitioned, list_partitions
from monitoring.storage import timescale_enabled

ARCHIVE_TOTALS = """
select count(*), coalesce(sum(rows), 0)::bigint, coalesce(sum(bytes), 0)::bigint, coalesce(sum(hot_bytes), 0)::bigint,
       min(range_start), max(range_end)
from readings_archive
"""
TABLE_TOTALS = "select count(*), pg_total_relation_size('readings'::regclass) from readings"
ROLLUP_TOTALS = "select count(*), pg_total_relation_size('readings_1h'::regclass) from readings_1h"
EXACT_ROWS = "select count(*) from {}"


def storage_status(conn: psycopg.Connection[Any], *, exact: bool = False) -> dict[str, Any]:
    """Partitions (name, bounds, rows, bytes), archive totals and bytes per reading hot and archived.

    Row counts of partitions are the planner's estimates unless ``exact`` (a full count of each).
    """
    out: dict[str, Any] = {"layout": "timescaledb" if timescale_enabled(conn) else
                           "partitioned" if is_partitioned(conn) else "single table"}
    hot_rows = hot_bytes = 0
    partitions = []
    if out["layout"] == "partitioned":
        for p in list_partitions(conn):
            rows = p.estimated_rows
            if exact or rows <= 0:  # never analysed yet: count it
                rows = conn.execute(psycopg.sql.SQL(EXACT_ROWS).format(psycopg.sql.Identifier(p.name))).fetchone()[0]  # type: ignore[index]
            partitions.append({"name": p.name, "start": p.start.isoformat() if p.start else None,
                               "end": p.end.isoformat() if p.end else None, "rows": int(rows), "bytes": p.bytes})
            hot_rows += int(rows)
            hot_bytes += p.bytes
    else:
        hot_rows, hot_bytes = conn.execute(TABLE_TOTALS).fetchone()  # type: ignore[misc]
    files, archived_rows, archived_bytes, bytes_before, first, last = conn.execute(ARCHIVE_TOTALS).fetchone()  # type: ignore[misc]
    rollup_rows, rollup_bytes = conn.execute(ROLLUP_TOTALS).fetchone()  # type: ignore[misc]
    out.update({
        "partitions": partitions,
        "hot": {"rows": hot_rows, "bytes": hot_bytes,
                "bytes_per_reading": round(hot_bytes / hot_rows, 2) if hot_rows else None},
        "archive": {"files": files, "rows": archived_rows, "bytes": archived_bytes,
                    "bytes_per_reading": round(archived_bytes / archived_rows, 2) if archived_rows else None,
                    "bytes_in_postgresql_before": bytes_before,
                    "from": first.isoformat() if first else None, "to": last.isoformat() if last else None},
        "rollups_1h": {"rows": rollup_rows, "bytes": rollup_bytes},
    })
    return out


def format_status(status: dict[str, Any]) -> str:
    """The status as a short text table (the CLI's default output)."""
    lines = [f"存储方式 / layout: {status['layout']}"]
    if status["partitions"]:
        lines.append(f"{'分区 / partition':<28} {'起 / from':<26} {'条数 / rows':>12} {'MB':>10}")
        for p in status["partitions"]:
            lines.append(f"{p['name']:<28} {(p['start'] or 'default'):<26} {p['rows']:>12,} {p['bytes'] / 1e6:>10.2f}")
    hot, archive = status["hot"], status["archive"]
    lines.append(f"在库 / hot: {hot['rows']:,} readings, {hot['bytes'] / 1e6:.2f} MB, {hot['bytes_per_reading']} bytes/reading")
    lines.append(f"归档 / archive: {archive['files']} files, {archive['rows']:,} readings, {archive['bytes'] / 1e6:.2f} MB, "
                 f"{archive['bytes_per_reading']} bytes/reading ({archive['from']} .. {archive['to']})")
    lines.append(f"小时汇总（永久保留）/ hourly rollups (kept for ever): {status['rollups_1h']['rows']:,} rows, "
                 f"{status['rollups_1h']['bytes'] / 1e6:.2f} MB")
    return "\n".join(lines)
