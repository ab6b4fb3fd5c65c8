"""Benchmark: the trace of one incident of 500 complaints over 24 h, 100 candidate enterprises and a month
of minute data from 20 monitors (target < 1 s), against the old per-case trace on the same data.

The old trace (``monitoring.trace.case_trace``) looks at one case at a time, so tracing the incident
the old way is one call per complaint's case; both are timed end to end, database reads included.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/trace_speed.py
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import ensure_database, start_embedded_postgres, with_database
from envpetition.settings import Settings
from monitoring.incident_store import IncomingComplaint, add_complaints
from monitoring.trace import case_trace as old_case_trace
from monitoring.trace_service import incident_trace

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 9, 1, 0, 0, tzinfo=TZ)  # the incident is the last day of the month of data
INDUSTRIES = ["焦化", "污水处理", "化工", "涂装", "橡胶", "水泥", "制药", "垃圾焚烧", "电力", "屠宰"]
MINUTE_DATA = """
insert into readings (ts, sensor_id, pollutant, value, flag)
select ts, s.id, p.code, p.base * (1 + 0.3 * sin(extract(epoch from ts) / 5000.0 + s.k)) + random() * p.base * 0.2, 'N'
from generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute', interval '1 minute') ts
cross join (select id, row_number() over (order by id) k from sensors where kind = 'fixed') s
cross join (values ('a21028', 0.002), ('a21001', 0.08), ('a24088', 0.6)) p(code, base)
"""
MET_DATA = """
insert into readings (ts, sensor_id, pollutant, value, flag)
select ts, s.id, p.code,
       case when p.code = 'a01008' then (20 + 40 * sin(extract(epoch from ts) / 40000.0) + random() * 30)::numeric %% 360
            else 1 + random() * 2 end, 'N'
from generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute', interval '1 minute') ts
cross join (select id from sensors where kind = 'met') s
cross join (values ('a01008'), ('a01007')) p(code)
"""
ROLLUP = """
insert into readings_1h (bucket, sensor_id, pollutant, n, total, min, max)
select date_bin('1 hour', ts, timestamptz '2000-01-01 00:00+08'), sensor_id, pollutant, count(*), sum(value),
       min(value), max(value)
from readings group by 1, 2, 3
"""


def build(conn: psycopg.Connection, rng: np.random.Generator, n_complaints: int) -> tuple[int, list[int]]:
    """The city, a month of readings, the complaints; returns (largest incident, its case ids)."""
    for k in range(100):
        lon, lat = 117.6 + rng.uniform(0, 0.4), 30.8 + rng.uniform(0, 0.3)
        save_area(conn, Area("enterprise", f"企业{k:03d}", shapely.box(lon, lat, lon + 0.003, lat + 0.003),
                             attributes={"industry": INDUSTRIES[k % len(INDUSTRIES)]}), now=END - timedelta(days=90))
    for k in range(20):
        conn.execute("insert into sensors (id, kind, name, lon, lat, pollutants, units) values "
                     "(%s, 'fixed', %s, %s, %s, '{a21028,a21001,a24088}', '{mg/m3,mg/m3,mg/m3}')",
                     (f"S{k:02d}", f"监测点{k}", 117.6 + rng.uniform(0, 0.4), 30.8 + rng.uniform(0, 0.3)))
    for k in range(2):
        conn.execute("insert into sensors (id, kind, name, lon, lat, pollutants, units) values "
                     "(%s, 'met', %s, %s, %s, '{a01007,a01008}', '{m/s,deg}')",
                     (f"M{k:02d}", f"气象站{k}", 117.7 + 0.1 * k, 30.9))
    window = {"start": END - timedelta(days=30), "end": END}
    conn.execute(MINUTE_DATA, window)
    conn.execute(MET_DATA, window)
    conn.execute(ROLLUP)
    conn.execute("analyze")
    incoming = []
    start = END - timedelta(hours=24)
    for k in range(n_complaints):
        at = start + timedelta(seconds=float(rng.uniform(0, 24 * 3600)))
        lon, lat = 117.80 + rng.normal(0, 0.012), 30.95 + rng.normal(0, 0.010)
        text = ["臭鸡蛋味", "刺鼻的氨味", "有异味", "一股化学味"][k % 4]
        case_id = conn.execute("insert into cases (title, opened_at, lon, lat, categories) values "
                               "('异味', %s, %s, %s, '{odour}') returning id", (at, lon, lat)).fetchone()[0]
        cid = conn.execute("insert into complaints (channel, external_id, received_at, text, lon, lat, categories, "
                           "case_id) values ('bench', %s, %s, %s, %s, %s, '{odour}', %s) returning id",
                           (f"B{k}", at, text, lon, lat, case_id)).fetchone()[0]
        incoming.append(IncomingComplaint(cid, case_id, at, lon, lat, ["odour"], text))
    add_complaints(conn, incoming, now=END)
    incident, size = conn.execute("select id, size from incidents where merged_into is null order by size desc "
                                  "limit 1").fetchone()
    cases = [r[0] for r in conn.execute("select case_id from incident_complaints where incident_id = %s", (incident,))]
    return incident, cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print where the new trace spends its time")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database (printed)")
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL") or start_embedded_postgres(Settings().home / "bench-pgdata")
    name = f"envp_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            t0 = time.perf_counter()
            incident, cases = build(conn, np.random.default_rng(7), args.complaints)
            readings = conn.execute("select count(*) from readings").fetchone()[0]
            print(f"setup: {readings:,} readings (20 monitors x 3 pollutants + 2 met stations, a month of minutes), "
                  f"100 enterprises, incident {incident} of {len(cases)} complaints ({time.perf_counter() - t0:.0f} s)")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                trace = incident_trace(conn, incident)
                times.append(time.perf_counter() - t0)
            new_s = statistics.median(times)
            if args.profile:
                import cProfile
                import pstats

                with cProfile.Profile() as prof:
                    incident_trace(conn, incident)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            print(f"new trace of the incident: median {new_s:.3f} s over {args.repeat} runs "
                  f"({trace['candidates_considered']} candidates, {len(trace['monitors'])} monitor series, "
                  f"top: {trace['candidates'][0]['name']})")
            t0 = time.perf_counter()
            for case_id in cases:
                old_case_trace(conn, case_id)
            old_s = time.perf_counter() - t0
            print(f"old trace, one call per complaint's case: {old_s:.3f} s for {len(cases)} cases "
                  f"({old_s / len(cases) * 1000:.1f} ms each)")
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f'drop database if exists "{name}" with (force)')
    print(json.dumps({"benchmark": "trace_speed", "complaints": len(cases), "candidates": trace["candidates_considered"],
                      "monitors": 20, "readings": readings, "new_seconds": round(new_s, 3),
                      "old_seconds": round(old_s, 3), "old_over_new": round(old_s / new_s, 2), "target_seconds": 1.0,
                      "meets_target": new_s < 1.0}))


if __name__ == "__main__":
    main()
