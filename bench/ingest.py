"""Ingest benchmark: raw COPY vs a naive consumer vs our worker, end to end, in one run.

    PYTHONPATH=$PWD python bench/ingest.py [--quick]

Uses DATABASE_URL (default the machine's PostgreSQL) and creates and drops its own database.
The broker is the machine's Mosquitto binary started privately with the shipped production config
(monitoring/mosquitto.conf) on a free port: the default config's ``max_queued_messages 1000``
drops QoS 1 messages as soon as publishers outrun the consumer, which is exactly what a
throughput run does. ``--mqtt-url`` uses an already running broker instead. Publishers run in a separate process, wait for
every PUBACK and record publish times; the worker runs in this process and reports each committed
batch, so latency is publish → commit. Lost = published rows not stored; duplicated = rows counted
twice (rollups vs rows). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from envpetition.db import connect  # noqa: E402
from envpetition.migrate import migrate  # noqa: E402
from envpetition.mqtt import new_client  # noqa: E402
from envpetition.servers import ensure_database, with_database  # noqa: E402
from monitoring.hj212 import build_packet  # noqa: E402
from monitoring.partitions import ensure_partitions  # noqa: E402
from monitoring.publish import Publisher  # noqa: E402
from monitoring.worker import IngestWorker  # noqa: E402

T0 = datetime.fromisoformat("2025-01-01T00:00:00+08:00")
HJ_CODES = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024")


def messages(kind: str, tag: str, prefix: str, n: int) -> list[tuple[str, bytes]]:
    """Deterministic messages of one scenario; every reading key is distinct."""
    out = []
    for i in range(n):
        sensor = f"{tag}{i % 200}"
        topic = f"{prefix}/sensors/{sensor}/readings"
        ts = T0 + timedelta(seconds=i)
        if kind == "single":
            body = {"ts": ts.isoformat(), "pollutant": "a34004", "value": (i % 500) / 10}
            out.append((topic, json.dumps(body).encode()))
        elif kind == "batch10":
            body = {"readings": [{"ts": ts.isoformat(), "pollutant": f"p{k}", "value": (i + k) % 300} for k in range(10)]}
            out.append((topic, json.dumps(body).encode()))
        else:
            minute = (T0 + timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")
            cp = ";".join(f"{c}-Avg={(i + k) % 90 + 0.5},{c}-Flag=N" for k, c in enumerate(HJ_CODES))
            seg = f"QN={minute}000;ST=22;CN=2051;PW=123456;MN={sensor};Flag=4;CP=&&DataTime={minute};{cp}&&"
            out.append((topic, build_packet(seg).encode()))
    return out


PUBLISHER_PROCESSES = 2
ROWS_PER_MESSAGE = {"single": 1, "batch10": 10, "hj212": len(HJ_CODES)}


PUBLISHER_WINDOW = 2000


def publish_job(url: str, kind: str, tag: str, prefix: str, n: int, rate: float | None, part: int, parts: int,
                out: Any) -> None:
    """Child process: publish every ``parts``-th message, wait for PUBACKs, send back publish times."""
    msgs = messages(kind, tag, prefix, n)[part::parts]
    rate = rate / parts if rate else None
    times = []
    with Publisher(url, max_inflight=PUBLISHER_WINDOW) as pub:
        start = time.monotonic()
        if rate:
            for i, (topic, payload) in enumerate(msgs):
                ahead = i / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
                times.append(time.time())
                pub.publish(topic, payload)
        else:  # as fast as the broker takes them: many messages per write
            for begin in range(0, len(msgs), 100):
                chunk = msgs[begin:begin + 100]
                times.extend([time.time()] * len(chunk))
                pub.publish_many(chunk)
    out.send(times)
    out.close()


def run_publishers(url: str, kind: str, tag: str, prefix: str, n: int, rate: float | None, parts: int) -> list[float]:
    """Publish from ``parts`` processes at once; return the publish time of every message, in order."""
    jobs = []
    for part in range(parts):
        parent, child = mp.Pipe(duplex=False)
        proc = mp.get_context("fork").Process(target=publish_job, args=(url, kind, tag, prefix, n, rate, part, parts, child))
        proc.start()
        jobs.append((proc, parent))
    times = [0.0] * n
    for part, (proc, pipe) in enumerate(jobs):
        times[part::parts] = pipe.recv()
        proc.join()
    return times


def count(url: str, sql: str, params: tuple[Any, ...] = ()) -> int:
    with connect(url, autocommit=True) as c:
        row = c.execute(sql, params).fetchone()
    return int(row[0] or 0) if row else 0


def bench_copy(url: str, n_rows: int, tag: str) -> float:
    rows = [(T0 + timedelta(seconds=i // 10), f"{tag}{i // 10 % 200}", f"p{i % 10}", float(i % 300), "N", None, None)
            for i in range(n_rows)]
    with connect(url) as c:
        start = time.perf_counter()
        with c.cursor() as cur, cur.copy("copy readings (ts, sensor_id, pollutant, value, flag, lon, lat) from stdin (format binary)") as cp:
            cp.set_types(["timestamptz", "text", "text", "float8", "text", "float8", "float8"])
            for row in rows:
                cp.write_row(row)
        c.commit()
        return n_rows / (time.perf_counter() - start)


def bench_naive(url: str, mqtt_url: str, prefix: str, n: int, tag: str) -> tuple[float, int]:
    """A typical MQTT-to-database script: json.loads, one INSERT and one commit per message."""
    conn = psycopg.connect(url)
    done = [0]
    first: list[float] = []

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        if not first:
            first.append(time.perf_counter())
        body = json.loads(msg.payload)
        sensor = msg.topic.split("/")[-2]
        conn.execute("insert into readings (ts, sensor_id, pollutant, value) values (%s, %s, %s, %s) on conflict do nothing",
                     (body["ts"], sensor, body["pollutant"], body["value"]))
        conn.commit()
        done[0] += 1

    client, address = new_client(mqtt_url, f"naive-{uuid.uuid4().hex[:6]}")
    client.on_message = on_message
    client.connect(address.host, address.port)
    client.loop_start()
    client.subscribe(f"{prefix}/sensors/+/readings", qos=1)
    time.sleep(0.5)
    msgs = messages("single", tag, prefix, n)
    chunk = 500  # keep the broker queue under Mosquitto's default 1000 so nothing is dropped
    with Publisher(mqtt_url, max_inflight=PUBLISHER_WINDOW) as pub:
        for start in range(0, n, chunk):
            pub.publish_all(msgs[start:start + chunk])
            deadline = time.monotonic() + 60
            while done[0] < min(n, start + chunk) - 100 and time.monotonic() < deadline:
                time.sleep(0.005)
    deadline = time.monotonic() + 60
    while done[0] < n and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - first[0]
    client.disconnect()
    client.loop_stop()
    conn.close()
    return done[0] / elapsed, n - done[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def bench_ours(url: str, mqtt_url: str, prefix: str, kind: str, tag: str, n: int, rate: float | None) -> dict[str, Any]:
    commits: dict[bytes, float] = {}

    def on_commit(batch: list[Any], committed: float) -> None:
        for item in batch:
            commits[item.payload] = committed

    worker = IngestWorker(url, mqtt_url, topic_prefix=prefix, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                          share_group=None, on_commit=on_commit)
    worker.start()
    worker.wait_connected(15)
    time.sleep(0.3)
    times = run_publishers(mqtt_url, kind, tag, prefix, n, rate, PUBLISHER_PROCESSES)
    deadline = time.monotonic() + 60
    while worker.stats.messages_committed < n and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    msgs = messages(kind, tag, prefix, n)
    latencies = [commits[payload] - times[i] for i, (_, payload) in enumerate(msgs) if payload in commits]
    last_commit = max(commits.values()) if commits else time.time()
    elapsed = last_commit - min(times)
    expected_rows = n * ROWS_PER_MESSAGE[kind]
    stored = count(url, "select count(*) from readings where sensor_id like %s", (f"{tag}%",))
    counted = count(url, "select sum(n) from readings_1h where sensor_id like %s", (f"{tag}%",))
    return {
        "scenario": kind + (f"@{int(rate)}/s" if rate else ""),
        "messages": n,
        "rows": expected_rows,
        "msgs_per_s": round(n / elapsed),
        "rows_per_s": round(expected_rows / elapsed),
        "p50_latency_s": round(percentile(latencies, 0.50), 4),
        "p99_latency_s": round(percentile(latencies, 0.99), 4),
        "batches": worker.stats.batches,
        "lost": expected_rows - stored,
        "duplicated": max(0, counted - stored),
    }


def bench_drain(url: str, mqtt_url: str, prefix: str, kind: str, tag: str, n: int) -> dict[str, Any]:
    """Consumer capacity alone: messages queued in the worker's session while it is away, then drained."""
    client_id = f"bench-drain-{uuid.uuid4().hex[:6]}"
    worker = IngestWorker(url, mqtt_url, topic_prefix=prefix, client_id=client_id, share_group=None)
    worker.start()
    worker.wait_connected(15)
    time.sleep(0.3)
    worker.stop()
    run_publishers(mqtt_url, kind, tag, prefix, n, None, PUBLISHER_PROCESSES)
    worker = IngestWorker(url, mqtt_url, topic_prefix=prefix, client_id=client_id, share_group=None)
    start = time.time()
    worker.start()
    deadline = time.monotonic() + 120
    while worker.stats.messages_committed < n and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.time() - start
    worker.stop()
    rows = n * ROWS_PER_MESSAGE[kind]
    stored = count(url, "select count(*) from readings where sensor_id like %s", (f"{tag}%",))
    return {"scenario": f"{kind} drain (worker alone)", "messages": n, "rows": rows, "msgs_per_s": round(n / elapsed),
            "rows_per_s": round(rows / elapsed), "batches": worker.stats.batches, "lost": rows - stored,
            "duplicated": max(0, count(url, "select sum(n) from readings_1h where sensor_id like %s", (f"{tag}%",)) - stored)}


def bench_processes(url: str, mqtt_url: str, prefix: str, kind: str, tag: str, n: int, processes: int) -> dict[str, Any]:
    """Throughput of ``monitor run --processes N`` (shared subscription)."""
    import subprocess

    env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": mqtt_url, "ENVPETITION_TOPIC_PREFIX": prefix,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    parent = subprocess.Popen([sys.executable, "-m", "envpetition", "workers", "run", "monitor", "--processes", str(processes),
                               "--client-id", f"bench-{uuid.uuid4().hex[:6]}", "--share-group", "bench",
                               "--analyse-every", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The shared subscription exists once one warm-up reading is stored.
        with Publisher(mqtt_url) as pub:
            for i in range(600):
                pub.publish(f"{prefix}/sensors/WARM/readings",
                            json.dumps({"ts": (T0 + timedelta(seconds=i)).isoformat(), "pollutant": "w", "value": 0}))
                pub.flush()
                if count(url, "select count(*) from readings where sensor_id = 'WARM'"):
                    break
                time.sleep(0.05)
        time.sleep(1.0)  # let the other workers subscribe too
        rows = n * ROWS_PER_MESSAGE[kind]
        start = min(run_publishers(mqtt_url, kind, tag, prefix, n, None, PUBLISHER_PROCESSES))
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline:
            # The hourly rollup commits with the readings and is small: counting readings itself
            # would scan the growing table every poll and slow the database being measured.
            if count(url, "select sum(n) from readings_1h where sensor_id like %s", (f"{tag}%",)) >= rows:
                break
            time.sleep(0.05)
        elapsed = time.time() - start
        stored = count(url, "select count(*) from readings where sensor_id like %s", (f"{tag}%",))
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(60)
    counted = count(url, "select sum(n) from readings_1h where sensor_id like %s", (f"{tag}%",))
    return {"scenario": f"{kind} x{processes} worker processes", "messages": n, "rows": rows,
            "msgs_per_s": round(n / elapsed), "rows_per_s": round(rows / elapsed), "lost": rows - stored,
            "duplicated": max(0, counted - stored)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter run (under a minute)")
    parser.add_argument("--mqtt-url", default=None, help="use this broker instead of a private Mosquitto")
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    broker = None
    if args.mqtt_url:
        mqtt_url = args.mqtt_url
    else:
        from tests.monitoring.private_servers import PrivateMosquitto

        broker = PrivateMosquitto(Path(tempfile.mkdtemp(prefix="envp-bench-mq-"))).start()
        mqtt_url = broker.url
        print(f"private Mosquitto with monitoring/mosquitto.conf on {mqtt_url}", flush=True)
    name = f"envp_bench_{os.getpid()}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    with connect(url, autocommit=True) as c:
        migrate(c)
        # Production housekeeping keeps the days being written partitioned (plain PostgreSQL).
        ensure_partitions(c, T0, days_ahead=40)
    prefix = f"envpbench/{uuid.uuid4().hex[:8]}"
    size = {"single": 15000, "batch10": 4000, "hj212": 4000, "naive": 1000, "copy": 100000, "paced_s": 3} if args.quick \
        else {"single": 100000, "batch10": 20000, "hj212": 20000, "naive": 5000, "copy": 400000, "paced_s": 10}
    try:
        # Baselines: the best of three runs each, so a slow moment of this shared machine never
        # flatters the ratios.
        copies = [bench_copy(url, size["copy"], f"C{run}-") for run in range(3)]
        copy_rate = max(copies)
        print(f"(a) binary COPY: {copy_rate:,.0f} rows/s, best of {', '.join(f'{r:,.0f}' for r in copies)} "
              f"({size['copy']:,} rows each)", flush=True)
        naives = [bench_naive(url, mqtt_url, f"{prefix}/naive{run}", size["naive"], f"N{run}-") for run in range(3)]
        naive_rate, naive_missing = max(rate for rate, _ in naives), sum(missing for _, missing in naives)
        print(f"(b) naive INSERT+commit per message: {naive_rate:,.0f} rows/s, best of "
              f"{', '.join(f'{r:,.0f}' for r, _ in naives)} ({size['naive']:,} messages each, {naive_missing} missing)",
              flush=True)
        results = []
        for kind, tag in (("single", "J"), ("batch10", "B"), ("hj212", "H")):
            result = bench_ours(url, mqtt_url, prefix, kind, tag, size[kind], None)
            results.append(result)
            print("(c) ours", json.dumps(result), flush=True)
        paced = bench_ours(url, mqtt_url, prefix, "single", "P", 5000 * size["paced_s"], 5000)
        results.append(paced)
        print("(c) ours", json.dumps(paced), flush=True)
        gentle = bench_ours(url, mqtt_url, prefix, "single", "G", 1000 * size["paced_s"], 1000)
        results.append(gentle)
        print("(c) ours", json.dumps(gentle), flush=True)
        drains = [bench_drain(url, mqtt_url, prefix + "/drain", "single", "DS", size["single"]),
                  bench_drain(url, mqtt_url, prefix + "/drain", "batch10", "DB", size["batch10"])]
        for drained in drains:
            print("(c) ours", json.dumps(drained), flush=True)
        scaled = bench_processes(url, mqtt_url, prefix + "/shared", "single", "Q", size["single"], 2)
        print("(c) ours", json.dumps(scaled), flush=True)
    finally:
        if broker is not None:
            broker.stop()
            shutil.rmtree(broker.folder, ignore_errors=True)
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'drop database if exists "{name}" with (force)')
    by = {r["scenario"]: r for r in results}
    summary = {
        "copy_rows_per_s": round(copy_rate),
        "naive_rows_per_s": round(naive_rate),
        "ours_rows_per_s": by["batch10"]["rows_per_s"],
        "ours_single_msgs_per_s": by["single"]["msgs_per_s"],
        "ours_hj212_rows_per_s": by["hj212"]["rows_per_s"],
        "ratio_vs_copy": round(by["batch10"]["rows_per_s"] / copy_rate, 3),
        "ratio_vs_naive": round(by["single"]["rows_per_s"] / naive_rate, 1),
        "p50_latency_s": paced["p50_latency_s"],
        "p99_latency_s": paced["p99_latency_s"],
        "p99_latency_at_rate_msgs_per_s": 5000,
        "p99_latency_at_1000_msgs_per_s": gentle["p99_latency_s"],
        "ours_single_2proc_msgs_per_s": scaled["msgs_per_s"],
        "drain_single_msgs_per_s": drains[0]["msgs_per_s"],
        "drain_batch10_rows_per_s": drains[1]["rows_per_s"],
        "lost": sum(r["lost"] for r in [*results, *drains, scaled]),
        "duplicated": sum(r["duplicated"] for r in [*results, *drains, scaled]),
        "median_batch_rows": statistics.median([r["rows"] / max(1, r["batches"]) for r in results]),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
