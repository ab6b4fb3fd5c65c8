"""Benchmark: one escalation scan over 100,000 open cases with 500,000 clocks (target < 2 s).

Baseline in the same run: a naive per-case Python loop (one query per case, thresholds checked in
Python, one INSERT per step), run in a transaction that is rolled back; then the real set-based scan
(``dispatch.escalation.scan``) over the same state. Both must find the same number of steps.

The state is a steady one: a previous scan ran ``--since`` minutes earlier, so every step passed
before then is already recorded, and this scan fires only what crossed in between.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/sla_scan.py
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg

from dispatch.escalation import THRESHOLDS, scan
from envpetition.calendar import seed_calendar
from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import ensure_database, start_embedded_postgres, with_database
from envpetition.settings import Settings

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

SETUP = """
insert into teams (name) select 'bench team ' || g from generate_series(1, 50) g;
insert into cases (state, priority, title, team_id, opened_at, level)
select 'assigned', (array['emergency','urgent','normal'])[1 + g %% 3], 'bench case ' || g,
       (select min(id) from teams) + g %% 50, %(now)s - random() * interval '20 days', 1
from generate_series(1, %(cases)s) g;
insert into clocks (case_id, kind, started_at, due_at, base_due_at, policy_version, urgent)
select c.id, k.kind, c.opened_at, c.opened_at + k.span * (0.5 + random()), c.opened_at + k.span, 1, c.priority <> 'normal'
from cases c cross join (values ('accept', interval '15 days'), ('dispatch', interval '1 day'),
                                ('arrive', interval '1 day'), ('reply', interval '3 days'),
                                ('close', interval '60 days')) k(kind, span);
"""
# The state a scan at %(prev)s left behind: steps passed by then recorded, next step pointed at.
HISTORY = """
insert into escalations (clock_id, case_id, threshold, fired_at, scanner)
select k.id, k.case_id, t, %(prev)s, 'history'
from clocks k cross join unnest(%(thresholds)s::smallint[]) t
where k.started_at + (k.due_at - k.started_at) * (t / 100.0) <= %(prev)s;
update clocks k set next_threshold = n.t,
       next_alert_at = k.started_at + (k.due_at - k.started_at) * (n.t / 100.0)
from (select id, (select min(t) from unnest(%(thresholds)s::smallint[]) t
                  where k2.started_at + (k2.due_at - k2.started_at) * (t / 100.0) > %(prev)s) t
      from clocks k2) n
where k.id = n.id;
analyze
"""
NAIVE_CASES = "select id from cases where closed_at is null"
NAIVE_CLOCKS = """
select k.id, k.started_at, k.due_at, k.met_at, k.paused,
       array(select threshold from escalations e where e.clock_id = k.id)
from clocks k where k.case_id = %s
"""
NAIVE_INSERT = """
insert into escalations (clock_id, case_id, threshold, fired_at, scanner) values (%s, %s, %s, %s, 'naive')
"""


def naive_scan(conn: psycopg.Connection, now: datetime) -> int:
    """The obvious loop: every open case, every clock, every threshold, in Python."""
    fired = 0
    with conn.transaction(force_rollback=True):
        for (case_id,) in conn.execute(NAIVE_CASES).fetchall():
            for clock_id, started, due, met, paused, done in conn.execute(NAIVE_CLOCKS, (case_id,)).fetchall():
                if met is not None or paused:
                    continue
                pct = (now - started) / (due - started) * 100
                for t in THRESHOLDS:
                    if pct >= t and t not in done:
                        conn.execute(NAIVE_INSERT, (clock_id, case_id, t, now))
                        fired += 1
    return fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--since", type=float, default=10.0, help="minutes since the previous scan")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--setup-only", action="store_true", help="build and keep the database (profiling)")
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL") or start_embedded_postgres(Settings().home / "bench-pgdata")
    name = os.environ.get("BENCH_DATABASE") or f"envp_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            seed_calendar(conn, [2026])
            t0 = time.perf_counter()
            prev = NOW.timestamp() - args.since * 60
            params = {"now": NOW, "cases": args.cases, "thresholds": list(THRESHOLDS),
                      "prev": datetime.fromtimestamp(prev, NOW.tzinfo)}
            for statement in (SETUP + HISTORY).split(";\n"):
                if statement.strip():
                    conn.execute(statement, params)
            n_cases, n_clocks, n_hist = conn.execute(
                "select (select count(*) from cases), (select count(*) from clocks), (select count(*) from escalations)"
            ).fetchone()
            print(f"setup: {n_cases} open cases, {n_clocks} clocks, {n_hist} steps already fired "
                  f"({time.perf_counter() - t0:.1f} s)")

            t0 = time.perf_counter()
            if args.setup_only:
                print(f"kept database {name}")
                return
            naive_fired = naive_scan(conn, NOW)
            naive_s = time.perf_counter() - t0
            print(f"naive per-case loop: {naive_fired} steps in {naive_s:.2f} s")

            t0 = time.perf_counter()
            summary = scan(conn, now=NOW, scanner="bench")
            scan_s = time.perf_counter() - t0
            print(f"set-based scan: {summary['fired']} steps in {scan_s:.3f} s "
                  f"(with actions: {summary['supervision_orders']} supervision orders, "
                  f"{summary['meeting_items']} meeting items)")
            if summary["fired"] != naive_fired:
                print(f"MISMATCH: naive {naive_fired} vs scan {summary['fired']}")
    finally:
        if not (args.keep or args.setup_only):
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f'drop database if exists "{name}" with (force)')
    print(json.dumps({"benchmark": "sla_scan", "open_cases": n_cases, "clocks": n_clocks,
                      "steps_fired": summary["fired"], "naive_steps": naive_fired,
                      "scan_seconds": round(scan_s, 3), "naive_seconds": round(naive_s, 3),
                      "speedup": round(naive_s / scan_s, 1), "same_steps": summary["fired"] == naive_fired,
                      "target_seconds": 2.0,
                      "met_target": scan_s < 2.0}))


if __name__ == "__main__":
    main()
