"""Readings lifecycle on plain PostgreSQL: daily partitions, Parquet archive, queries across both."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from envpetition import migrate as migrate_module
from envpetition.db import connect
from envpetition.servers import ensure_database, with_database
from envpetition.settings import Settings
from monitoring import archive, queries, storage
from monitoring.archive_reads import archived_table
from monitoring.exceedance_service import detect_and_record
from monitoring.partitions import ensure_partitions, is_partitioned, list_partitions
from monitoring.sensors import Sensor, save_sensor
from monitoring.storage_status import storage_status
from monitoring.trace import _wind

D0 = datetime.fromisoformat("2024-03-01T00:00:00+08:00")  # long past the 400-day retention


def rows_for(sensor: str, pollutant: str, start: datetime, minutes: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    return [(start + timedelta(minutes=m), sensor, pollutant, round(rng.uniform(0, 4), 3),
             rng.choice([None, "N", "N", "D"]), None, None, None) for m in range(minutes)]


def checksum(conn: psycopg.Connection[Any]) -> tuple[int, Any]:
    return conn.execute("select count(*), sum(hashtextextended(r::text, 0)::numeric) from readings r").fetchone()  # type: ignore[return-value]


@pytest.fixture
def url(fresh_database_url: str) -> str:
    return fresh_database_url


def test_migration_converts_a_filled_table_without_losing_a_row(pg_admin_url: str, monkeypatch: Any,
                                                               tmp_path: Path) -> None:
    name = f"envp_convert_{tmp_path.name[-12:].replace('-', '_')}"
    with connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
    ensure_database(pg_admin_url, name)
    db = with_database(pg_admin_url, name)
    everything = migrate_module.migration_files
    monkeypatch.setattr(migrate_module, "migration_files", lambda: [m for m in everything() if m[0] < "0320"])
    try:
        with connect(db, autocommit=True) as conn:
            migrate_module.migrate(conn)
            assert not is_partitioned(conn)
            storage.prepare_connection(conn)
            with conn.transaction():
                for i, day in enumerate((D0, D0 + timedelta(days=1), D0 + timedelta(days=300))):
                    storage.store_rows(conn, rows_for("S1", "a21001", day, 500, i) + rows_for("S2", "a34004", day, 300, 10 + i),
                                       maintain_rollups=True)
            before = checksum(conn)
            minute_view = conn.execute("select count(*), sum(total) from readings_1m").fetchone()
            monkeypatch.setattr(migrate_module, "migration_files", everything)
            migrate_module.migrate(conn)
            assert is_partitioned(conn)
            assert before[0] == 2400 and checksum(conn) == before
            assert conn.execute("select count(*), sum(total) from readings_1m").fetchone() == minute_view
            dated = [p for p in list_partitions(conn) if p.start is not None]
            assert {D0, D0 + timedelta(days=1), D0 + timedelta(days=300)} <= {p.start for p in dated}
            assert conn.execute("select count(*) from readings_default").fetchone()[0] == 0  # type: ignore[index]
            # The converted table takes redeliveries as before: the key still conflicts.
            with conn.transaction():
                assert storage.store_rows(conn, rows_for("S1", "a21001", D0, 10, 0), maintain_rollups=True) == 0
    finally:
        with connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


def test_rows_without_a_partition_wait_in_the_default_one_and_move_with_housekeeping(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        storage.prepare_connection(conn)
        far = D0 - timedelta(days=30)
        with conn.transaction():
            storage.store_rows(conn, rows_for("S1", "a21001", far, 100, 1), maintain_rollups=True)
        assert conn.execute("select count(*) from readings_default").fetchone()[0] == 100  # type: ignore[index]
        created = ensure_partitions(conn, D0)
        assert created and conn.execute("select count(*) from readings_default").fetchone()[0] == 0  # type: ignore[index]
        starts = {p.start for p in list_partitions(conn)}
        assert far in starts and all(D0 + timedelta(days=i) in starts for i in range(8))
        assert ensure_partitions(conn, D0) == []
        # A redelivery of a moved reading still conflicts in its new partition.
        with conn.transaction():
            assert storage.store_rows(conn, rows_for("S1", "a21001", far, 100, 1), maintain_rollups=True) == 0
        assert conn.execute("select count(*) from readings").fetchone()[0] == 100  # type: ignore[index]


@pytest.fixture
def archived_city(url: str, tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """Three days of two fixed monitors and a met station, queried, then archived; yields the answers before."""
    with connect(url, autocommit=True) as conn:
        save_sensor(conn, Sensor(id="S01", kind="fixed", name="厂界", lon=117.8471, lat=30.9527, area_class="2", role="boundary",
                                 pollutants=["a21001"], units=["mg/m3"]))
        save_sensor(conn, Sensor(id="M01", kind="met", name="气象站", lon=117.8, lat=30.9))
        storage.prepare_connection(conn)
        rows = rows_for("S01", "a21001", D0, 3 * 1440, 3)
        rows = [(t, s, p, 3.0 if 600 <= i < 640 else v, f, *rest) for i, (t, s, p, v, f, *rest) in enumerate(rows)]
        rows += [(D0 + timedelta(minutes=m), "M01", "a01008", float(90 + m % 20), "N", None, None, None)
                 for m in range(3 * 1440)]
        with conn.transaction():
            storage.store_rows(conn, rows, maintain_rollups=True)
        ensure_partitions(conn, D0)
        before = answers(conn)
        done = archive.archive_aged_out(conn, tmp_path / "archive", D0 + timedelta(days=500))
        assert [a.rows for a in done][:3] == [2 * 1440] * 3
    yield url, tmp_path / "archive", before


def answers(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    start, end = D0 + timedelta(hours=5), D0 + timedelta(days=2, hours=7)
    with conn.transaction(force_rollback=True):
        found = detect_and_record(conn, start=D0, end=D0 + timedelta(days=3), now=D0 + timedelta(days=3), open_cases=False)
    return {
        "raw": queries.series(conn, "S01", "a21001", start, end, "raw"),
        "1m": queries.series(conn, "S01", "a21001", start, end, "1m"),
        "1h": queries.series(conn, "S01", "a21001", start, end, "1h"),
        "bucketed": queries.bucketed(conn, "S01", start, end, "10 minutes"),
        "bucketed_3h": queries.bucketed(conn, "S01", start, end, "3 hours"),  # archived days: from the rollups
        "span": queries.span(conn, "S01"),
        "exceedances": sorted((e["averaging"], e["started_at"], e["ended_at"], e["peak_value"]) for e in found["events"]),
        "wind": _wind(conn, D0 + timedelta(days=1, hours=2)),
    }


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in row.items()} for row in rows]


def test_archived_days_are_dropped_and_every_query_answers_the_same(archived_city: Any) -> None:
    url, folder, before = archived_city
    with connect(url, autocommit=True) as conn:
        assert conn.execute("select count(*) from readings").fetchone()[0] == 0  # type: ignore[index]
        files = conn.execute("select path, rows, sha256 from readings_archive order by range_start").fetchall()
        assert len(files) == 3 and all(Path(p).parent == folder.resolve() for p, _, _ in files)
        assert all(archive.file_sha256(p) == sha for p, _, sha in files)
        assert archive.verify_archive(conn) == []
        after = answers(conn)
    assert before["exceedances"], "the test data must hold an exceedance"
    assert len(before["raw"]) > 2000 and len(before["1m"]) > 1000 and before["wind"]["samples"] > 100
    for key in ("raw", "1h", "span", "exceedances", "wind"):
        assert after[key] == before[key], key
    for key in ("1m", "bucketed", "bucketed_3h"):
        assert _rounded(after[key]) == _rounded(before[key]), key


def test_a_late_reading_for_an_archived_day_is_merged_not_lost(archived_city: Any) -> None:
    url, _folder, before = archived_city
    late = D0 + timedelta(hours=5, seconds=30)  # between two archived minutes
    with connect(url, autocommit=True) as conn:
        storage.prepare_connection(conn)
        with conn.transaction():
            storage.store_rows(conn, [(late, "S01", "a21001", 100.0, "N", None, None, None)], maintain_rollups=True)
        raw = queries.series(conn, "S01", "a21001", D0 + timedelta(hours=5), D0 + timedelta(hours=6), "raw")
        minute = queries.series(conn, "S01", "a21001", D0 + timedelta(hours=5), D0 + timedelta(minutes=301), "1m")
    assert [r["ts"] for r in raw].count(late) == 1 and len(raw) == 61
    assert minute[0]["max"] == 100.0 and minute[0]["n"] == (2 if before["raw"][0]["flag"] != "D" else 1)


def test_a_missing_archive_file_is_an_error_not_a_shorter_series(archived_city: Any) -> None:
    url, _folder, _before = archived_city
    with connect(url, autocommit=True) as conn:
        path = conn.execute("select path from readings_archive order by range_start limit 1").fetchone()[0]  # type: ignore[index]
        Path(path).rename(path + ".moved")
        with pytest.raises(archive.ArchiveUnavailable):
            queries.series(conn, "S01", "a21001", D0, D0 + timedelta(hours=1), "raw")
        assert any("missing" in p for p in archive.verify_archive(conn))


def test_a_reading_arriving_while_archiving_keeps_the_partition(url: str, tmp_path: Path, monkeypatch: Any) -> None:
    with connect(url, autocommit=True) as conn:
        storage.prepare_connection(conn)
        with conn.transaction():
            storage.store_rows(conn, rows_for("S1", "a21001", D0, 100, 1), maintain_rollups=True)
        ensure_partitions(conn, D0)
        write = archive.write_parquet

        def write_while_a_reading_arrives(csv_path: Path, parquet_path: Path) -> int:
            with connect(url, autocommit=True) as other:
                other.execute("insert into readings (ts, sensor_id, pollutant, value) values (%s, 'S1', 'late', 1)",
                              (D0 + timedelta(hours=1),))
            return write(csv_path, parquet_path)

        monkeypatch.setattr(archive, "write_parquet", write_while_a_reading_arrives)
        assert [a for a in archive.archive_aged_out(conn, tmp_path, D0 + timedelta(days=500)) if a.rows] == []
        assert conn.execute("select count(*) from readings").fetchone()[0] == 101  # type: ignore[index]
        assert conn.execute("select count(*) from readings_archive").fetchone()[0] == 0  # type: ignore[index]
        assert list(tmp_path.glob("*.parquet")) == []
        monkeypatch.setattr(archive, "write_parquet", write)
        (done,) = archive.archive_aged_out(conn, tmp_path, D0 + timedelta(days=500))
        assert done.rows == 101 and is_partitioned(conn) and len(list_partitions(conn)) > 1


def test_storage_status_shows_partitions_and_bytes_per_reading(archived_city: Any, monkeypatch: Any) -> None:
    from envpetition.cli import main

    url, _folder, _before = archived_city
    with connect(url, autocommit=True) as conn:
        storage.prepare_connection(conn)
        with conn.transaction():
            storage.store_rows(conn, rows_for("S01", "a21001", D0 + timedelta(days=5), 1440, 9), maintain_rollups=True)
        ensure_partitions(conn, D0)
        status = storage_status(conn, exact=True)
        table = archived_table(conn, D0, D0 + timedelta(days=3), sensors=["S01"])
    assert status["layout"] == "partitioned" and status["hot"]["rows"] == 1440
    assert status["archive"]["files"] == 3 and status["archive"]["rows"] == 6 * 1440
    assert 0 < status["archive"]["bytes_per_reading"] < status["hot"]["bytes_per_reading"]
    assert table is not None and table.num_rows == 3 * 1440
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["storage", "status"], obj=Settings())
    assert result.exit_code == 0, result.output
    assert "layout: partitioned" in result.output and "archive: 3 files, 8,640 readings" in result.output
