"""Scale benchmark: a big city and a monitoring network, partitioned + archived vs one plain table.

Two databases are built in the same run from the same generated data: "ours" (all migrations:
daily partitions of ``readings``, the older part archived to Parquet and dropped) and "baseline"
(every migration but 0320: ``readings`` one unpartitioned table, as main had it). Each gets
``--complaints`` complaints through the real importer (bench/import_complaints.py's synthetic city)
and ``--monitors`` monitors × ``--days`` days of minute readings (``--pollutants`` each), written
straight into the database with COPY (CSV made by pyarrow). Then each query is timed on both:

- series page, a month, hot and archived: what /monitoring runs (span + 1-hour buckets)
- hotspots: what the home page runs (complaint counts per community + the map figure)
- case list API: GET /api/cases from a real ``envpetition serve`` at ``--rate`` requests/s (p50, p99)
- trace: monitoring.trace.case_trace for a case inside the data range
- monthly KPIs: dispatch.kpi.kpis for a month (the table a monthly bulletin prints)

and bytes per reading: in PostgreSQL (table + indexes), in the archive, and as raw CSV.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres PYTHONPATH=$PWD python bench/scale.py \
        --monitors 100 --days 60          # a quick run (minutes); the defaults are the full network

The last line is one JSON object. Not run by pytest.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from envpetition import auth  # noqa: E402
from envpetition import migrate as migrate_module  # noqa: E402
from envpetition.db import connect  # noqa: E402
from envpetition.servers import ensure_database, free_port, with_database  # noqa: E402

spec = importlib.util.spec_from_file_location("import_bench", ROOT / "bench" / "import_complaints.py")
import_bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(import_bench)  # type: ignore[union-attr]
TZ, X0, Y0, X1, Y1 = import_bench.TZ, import_bench.X0, import_bench.Y0, import_bench.X1, import_bench.Y1
NOW = import_bench.NOW
POLLUTANTS = ["a34004", "a34002", "a21026", "a21004", "a05024"]


def build_database(admin: str, name: str, *, partitioned: bool) -> str:
    ensure_database(admin, name)
    url = with_database(admin, name)
    everything = migrate_module.migration_files
    if not partitioned:
        migrate_module.migration_files = lambda: [m for m in everything() if m[0] != "0320"]  # type: ignore[assignment]
    try:
        with connect(url, autocommit=True) as conn:
            migrate_module.migrate(conn)
            if not partitioned:
                # An empty archive catalogue: the same query code runs on both (it finds nothing archived);
                # 0320 recorded as applied, so `serve` (which migrates) keeps this layout unpartitioned.
                sql = next(m[2] for m in everything() if m[0] == "0320")
                conn.execute(sql[sql.index("create table readings_archive"):sql.index(");") + 2])
                conn.execute("insert into schema_migrations (version, name) values ('0320', 'baseline: not applied')")
    finally:
        migrate_module.migration_files = everything  # type: ignore[assignment]
    return url


def load_city(url: str, complaints: int, folder: Path) -> dict[str, Any]:
    from ingest.importer import import_file
    from ingest.service import IntakeContext

    rng = np.random.default_rng(12369)
    with connect(url, autocommit=True) as conn:
        import_bench.build_city(conn, rng)
        export = folder / "12369.csv"
        if not export.exists():
            import_bench.write_export(export, complaints, rng)
        ctx = IntakeContext.load(conn)
        start = time.perf_counter()
        summary = import_file(conn, export, now=NOW, ctx=ctx, batch_size=5000)
        auth.create_user(conn, "bench", "bench-pass-1", "director")
        cases = conn.execute("select count(*) from cases").fetchone()[0]  # type: ignore[index]
    return {"accepted": summary.accepted, "cases": cases, "seconds": round(time.perf_counter() - start, 1)}


def monitors(n: int) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(7)
    return [(f"M{i:05d}", float(rng.uniform(X0, X1)), float(rng.uniform(Y0, Y1))) for i in range(n)]


def register_sensors(url: str, sites: list[tuple[str, float, float]], pollutants: list[str]) -> None:
    with connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into sensors (id, kind, name, lon, lat, area_class, pollutants, units) "
            "values (%s, 'fixed', %s, %s, %s, '2', %s, %s)",
            [(sid, f"监测点 {sid}", lon, lat, pollutants, ["ug/m3"] * len(pollutants)) for sid, lon, lat in sites])
        cur.execute("insert into sensors (id, kind, name, lon, lat) values ('MET1', 'met', '气象站', 117.8, 30.9)")


def day_csv(day: int, start: datetime, sites: list[tuple[str, float, float]], pollutants: list[str],
            with_wind: bool) -> bytes:
    """One day of minute readings of every monitor as CSV (ts, sensor_id, pollutant, value, flag)."""
    rng = np.random.default_rng(day)
    minutes = np.arange(1440)
    base_s = int((start + timedelta(days=day)).timestamp())
    ts_list, sensor_list, code_list, values_list = [], [], [], []
    for code_index, code in enumerate(pollutants):
        level = 20 + 15 * code_index
        cycle = level * (1 + 0.4 * np.sin((minutes - 480) / 1440 * 2 * np.pi))
        for sid, _, _ in sites:
            noise = rng.normal(0, level * 0.08, 1440).cumsum() * 0.05 + rng.normal(0, level * 0.05, 1440)
            values_list.append(np.round(np.maximum(cycle + noise, 0), 1))
            ts_list.append(base_s + minutes * 60)
            sensor_list.append(np.full(1440, sid))
            code_list.append(np.full(1440, code))
    if with_wind:
        values_list.append(np.round(rng.uniform(0, 360, 1440), 0))
        ts_list.append(base_s + minutes * 60)
        sensor_list.append(np.full(1440, "MET1"))
        code_list.append(np.full(1440, "a01008"))
    table = pa.table({
        "ts": pa.array(np.concatenate(ts_list) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "sensor_id": np.concatenate(sensor_list), "pollutant": np.concatenate(code_list),
        "value": np.concatenate(values_list), "flag": np.full(sum(len(v) for v in values_list), "N"),
    })
    out = io.BytesIO()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return out.getvalue()


def load_readings(urls: list[str], sites: list[tuple[str, float, float]], pollutants: list[str], start: datetime,
                  days: int) -> dict[str, Any]:
    """COPY the same generated days into every database; return rows, CSV bytes and seconds per database."""
    rows, csv_bytes, seconds = 0, 0, [0.0] * len(urls)
    conns = [connect(url, autocommit=True) for url in urls]
    try:
        for day in range(days):
            data = day_csv(day, start, sites, pollutants, with_wind=True)
            csv_bytes += len(data)
            rows += data.count(b"\n")
            for i, conn in enumerate(conns):
                began = time.perf_counter()
                with conn.cursor() as cur, cur.copy(
                        "copy readings (ts, sensor_id, pollutant, value, flag) from stdin (format csv)") as copy:
                    copy.write(data)
                seconds[i] += time.perf_counter() - began
            if day % 10 == 9:
                print(f"  {day + 1}/{days} days, {rows:,} readings each", flush=True)
        for conn in conns:
            conn.execute("""insert into readings_1h (bucket, sensor_id, pollutant, n, total, min, max)
                select date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+08'), sensor_id, pollutant,
                       count(*), sum(value), min(value), max(value) from readings group by 1, 2, 3""")
            conn.execute("vacuum analyze readings")
            conn.execute("vacuum analyze readings_1h")
    finally:
        for conn in conns:
            conn.close()
    return {"rows": rows, "csv_bytes": csv_bytes, "copy_rows_per_s": [round(rows / s) for s in seconds]}


def timed_pair(fns: dict[str, Callable[[], Any]], repeat: int = 5) -> dict[str, float]:
    """Median milliseconds of each function, run alternately (ours, baseline, ours, …) after a warm-up,
    so a busy moment of the machine falls on both."""
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeat):
        for key, fn in fns.items():
            began = time.perf_counter()
            fn()
            runs[key].append((time.perf_counter() - began) * 1000)
    return {k: round(statistics.median(v), 1) for k, v in runs.items()}


def query_times(urls: dict[str, str], sensor: str, hot_month: datetime, old_month: datetime,
                case_id: int) -> dict[str, dict[str, float]]:
    """Each query on both databases, alternately: ``{"ours": {name: ms}, "baseline": {name: ms}}``."""
    from dashboard.map_figure import hotspot_map

    from dashboard.queries import areas_with_counts
    from dispatch.kpi import kpis
    from monitoring.queries import bucketed, span
    from monitoring.trace import case_trace

    conns = {k: connect(u, autocommit=True) for k, u in urls.items()}
    month_start = NOW.date().replace(day=1)
    queries: dict[str, Callable[[Any], Any]] = {
        "series_month_ms": lambda c: (span(c, sensor), bucketed(c, sensor, hot_month, hot_month + timedelta(days=30), "1 hour")),
        "series_month_archived_ms": lambda c: (span(c, sensor),
                                               bucketed(c, sensor, old_month, old_month + timedelta(days=30), "1 hour")),
        "hotspots_ms": lambda c: hotspot_map(areas_with_counts(c, "community")).to_json(),
        "trace_ms": lambda c: case_trace(c, case_id),
        "kpi_month_ms": lambda c: kpis(c, start=month_start - timedelta(days=31), end=month_start, now=NOW),
    }
    out: dict[str, dict[str, float]] = {k: {} for k in urls}
    try:
        for name, query in queries.items():
            for key, ms in timed_pair({k: (lambda c=c, q=query: q(c)) for k, c in conns.items()}).items():
                out[key][name] = ms
    finally:
        for c in conns.values():
            c.close()
    return out


def api_load(url: str, rate: float, seconds: float, home: Path) -> dict[str, float]:
    """GET /api/cases at ``rate`` requests/s (open loop) from a real ``serve``; p50 and p99 in ms."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "ENVPETITION_HOME": str(home), "PYTHONPATH": str(ROOT),
           "MQTT_URL": os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"), "ENVPETITION_POOL_MAX_SIZE": "16"}
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen([sys.executable, "-m", "envpetition", "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/api/health", timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    raise RuntimeError(f"serve exited: {(home / 'serve.log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        with connect(url, autocommit=True) as conn:
            token = auth.login(conn, "bench", "bench-pass-1", now=datetime.now(TZ))  # the server checks expiry by the clock
        headers = {"Authorization": f"Bearer {token}"}
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        client = httpx.Client(base_url=base, headers=headers, timeout=10,
                              limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        client.get("/api/cases?limit=50")

        def one(scheduled: float) -> None:
            # Latency counts from the moment the request was due, so a backlog shows (no coordinated omission).
            try:
                ok = client.get("/api/cases?limit=50").status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                latencies.append((time.perf_counter() - scheduled) * 1000)
                errors[0] += 0 if ok else 1

        started = time.perf_counter()
        with ThreadPoolExecutor(64) as pool:
            for i in range(int(rate * seconds)):
                scheduled = started + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, scheduled)
        achieved = len(latencies) / (time.perf_counter() - started)
        client.close()
        latencies.sort()
        return {"api_p50_ms": round(latencies[len(latencies) // 2], 1),
                "api_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
                "api_requests": len(latencies), "api_errors": errors[0], "api_achieved_rps": round(achieved, 1)}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:  # a loaded machine: requests still queued in it
            server.kill()
            server.wait(10)
        log.close()


def sizes(url: str, rows_hot: int | None = None) -> dict[str, Any]:
    from monitoring.storage_status import storage_status

    with connect(url, autocommit=True) as conn:
        status = storage_status(conn, exact=True)
    return {"hot_rows": status["hot"]["rows"], "hot_bytes": status["hot"]["bytes"],
            "hot_bytes_per_reading": status["hot"]["bytes_per_reading"],
            "archived_rows": status["archive"]["rows"], "archived_bytes": status["archive"]["bytes"],
            "archived_bytes_per_reading": status["archive"]["bytes_per_reading"], "layout": status["layout"]}


def a_case_in_range(url: str) -> int:
    with connect(url, autocommit=True) as conn:
        return int(conn.execute("select id from cases where lon is not null order by opened_at desc limit 1").fetchone()[0])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=20_000, help="the city: complaints imported (sample × 10)")
    parser.add_argument("--monitors", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pollutants", type=int, default=1, choices=range(1, len(POLLUTANTS) + 1))
    parser.add_argument("--archive-days", type=int, default=None,
                        help="archive the oldest days (default: half of --days), as retention would")
    parser.add_argument("--rate", type=float, default=200.0, help="case list API requests per second")
    parser.add_argument("--api-seconds", type=float, default=15.0)
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    tag = uuid.uuid4().hex[:6]
    names = {"ours": f"envp_scale_ours_{tag}", "baseline": f"envp_scale_base_{tag}"}
    folder = Path(tempfile.mkdtemp(prefix="envp-scale-"))
    archive_days = args.archive_days if args.archive_days is not None else args.days // 2
    start = (NOW - timedelta(days=args.days)).replace(hour=0, minute=0, second=0, microsecond=0)
    pollutants = POLLUTANTS[:args.pollutants]
    try:
        urls = {"ours": build_database(admin, names["ours"], partitioned=True),
                "baseline": build_database(admin, names["baseline"], partitioned=False)}
        from monitoring.partitions import ensure_partitions

        with connect(urls["ours"], autocommit=True) as conn:
            for offset in range(0, args.days + 7, 30):
                ensure_partitions(conn, start + timedelta(days=offset), days_ahead=30)
        city = {k: load_city(u, args.complaints, folder) for k, u in urls.items()}
        print(f"city: {city['ours']['cases']:,} cases from {args.complaints:,} complaints", flush=True)
        sites = monitors(args.monitors)
        for url in urls.values():
            register_sensors(url, sites, pollutants)
        print(f"readings: {args.monitors:,} monitors x {args.days} days x {len(pollutants)} pollutants, COPY into both",
              flush=True)
        loaded = load_readings(list(urls.values()), sites, pollutants, start, args.days)
        print(f"  {loaded['rows']:,} readings each; COPY rows/s ours, baseline: {loaded['copy_rows_per_s']}", flush=True)

        from monitoring.archive import archive_aged_out

        began = time.perf_counter()
        with connect(urls["ours"], autocommit=True) as conn:
            archived = archive_aged_out(conn, folder / "archive", start + timedelta(days=archive_days), retention_days=0)
        archive_s = time.perf_counter() - began
        print(f"archived {len([a for a in archived if a.rows])} days in {archive_s:.1f} s", flush=True)

        sensor = sites[0][0]
        hot_month = start + timedelta(days=args.days - 30)
        old_month = start + timedelta(days=max(0, min(archive_days - 30, args.days - 30)))
        case_id = a_case_in_range(urls["ours"])
        times = query_times(urls, sensor, hot_month, old_month, case_id)
        print(json.dumps({"query_ms": times}), flush=True)  # kept even if the API phase fails
        api = {k: api_load(u, args.rate, args.api_seconds, folder / f"home-{k}") for k, u in urls.items()}
        if any(a["api_errors"] for a in api.values()):
            print(f"WARNING: failed API requests {[a['api_errors'] for a in api.values()]}", flush=True)
        print(json.dumps({"api": api}), flush=True)
        size = {k: sizes(u) for k, u in urls.items()}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f"drop database if exists {name} with (force)")

    csv_per_reading = loaded["csv_bytes"] / loaded["rows"]
    print(f"\n{'query':<28} {'ours ms':>10} {'baseline ms':>12}")
    for key in times["ours"]:
        print(f"{key:<28} {times['ours'][key]:>10} {times['baseline'][key]:>12}")
    print(f"{'case list API p50':<28} {api['ours']['api_p50_ms']:>10} {api['baseline']['api_p50_ms']:>12}")
    print(f"{'case list API p99':<28} {api['ours']['api_p99_ms']:>10} {api['baseline']['api_p99_ms']:>12}")
    print(f"bytes per reading: hot {size['ours']['hot_bytes_per_reading']} (baseline table "
          f"{size['baseline']['hot_bytes_per_reading']}), archived {size['ours']['archived_bytes_per_reading']}, "
          f"raw CSV {csv_per_reading:.1f}")
    pages = [v for k, v in times["ours"].items()]
    print(f"targets: API p99 < 100 ms at {args.rate:.0f}/s: {api['ours']['api_p99_ms'] < 100} "
          f"(achieved {api['ours']['api_achieved_rps']}/s, {api['ours']['api_errors']} errors); "
          f"no page over 1 s: {max(pages) < 1000}; archived <= 10 bytes/reading: "
          f"{(size['ours']['archived_bytes_per_reading'] or 99) <= 10}")
    result: dict[str, Any] = {
        "bench": "scale", "monitors": args.monitors, "days": args.days, "pollutants": len(pollutants),
        "readings": loaded["rows"], "archived_days": archive_days, "cases": city["ours"]["cases"],
        "api_rate_per_s": args.rate, "api_p50_ms": api["ours"]["api_p50_ms"], "api_p99_ms": api["ours"]["api_p99_ms"],
        "api_achieved_rps": api["ours"]["api_achieved_rps"], "api_errors": api["ours"]["api_errors"],
        "baseline_api_p50_ms": api["baseline"]["api_p50_ms"], "baseline_api_p99_ms": api["baseline"]["api_p99_ms"],
        "hot_bytes_per_reading": size["ours"]["hot_bytes_per_reading"],
        "baseline_bytes_per_reading": size["baseline"]["hot_bytes_per_reading"],
        "archived_bytes_per_reading": size["ours"]["archived_bytes_per_reading"],
        "csv_bytes_per_reading": round(csv_per_reading, 2), "archive_seconds": round(archive_s, 1),
        "copy_rows_per_s_ours": loaded["copy_rows_per_s"][0], "copy_rows_per_s_baseline": loaded["copy_rows_per_s"][1],
    }
    for key, value in times["ours"].items():
        result[key] = value
        result["baseline_" + key] = times["baseline"][key]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
