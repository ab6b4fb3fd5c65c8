"""Check the trace on the sample city: every episode incident's source, named by the trace.

Loads the sample areas, sensors, the hourly HJ 212 file and the minute file straight into a fresh
database (no MQTT), imports the complaints, groups them into incidents, traces every incident of
five or more complaints and compares the top candidate with the episode's source in
``sample_data/complaints/ground_truth.json``.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/trace_demo_check.py
The last line printed is one JSON object.
"""

from __future__ import annotations

import collections
import gzip
import json
import os
import sys
import uuid
from pathlib import Path

import psycopg

# bench/ingest.py would shadow the ingest package when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envpetition.db import connect  # noqa: E402
from envpetition.migrate import migrate  # noqa: E402
from envpetition.runtime import local_now  # noqa: E402
from envpetition.servers import ensure_database, start_embedded_postgres, with_database  # noqa: E402
from envpetition.settings import Settings  # noqa: E402
from ingest.sample import import_sample_complaints, load_sample_areas  # noqa: E402
from ingest.views import air_complaints_after  # noqa: E402
from monitoring.incident_store import sync  # noqa: E402
from monitoring.payloads import hj212_rows  # noqa: E402
from monitoring.sensors import load_sensors_csv  # noqa: E402
from monitoring.storage import mn_map, prepare_connection, store_rows  # noqa: E402
from monitoring.trace_service import incident_trace  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def main() -> None:
    admin = os.environ.get("DATABASE_URL") or start_embedded_postgres(Settings().home / "bench-pgdata")
    name = f"envp_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    results = []
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            now = local_now()
            load_sample_areas(conn, SAMPLE / "areas", now=now)
            load_sensors_csv(conn, SAMPLE / "sensors" / "sensors.csv")
            prepare_connection(conn)
            mns = mn_map(conn)
            for file in ("hj212_hours.txt.gz", "hj212_minutes.txt.gz"):
                rows = []
                with gzip.open(SAMPLE / "sensors" / file, "rb") as fh:
                    for line in fh:
                        rows += hj212_rows(line.rstrip(b"\r\n"), None, mns)
                for k in range(0, len(rows), 50000):
                    with conn.transaction():
                        store_rows(conn, rows[k:k + 50000], maintain_rollups=True)
            import_sample_complaints(conn, SAMPLE / "complaints", now=now, backfill=True)
            sync(conn, air_complaints_after, now=now)
            truth = json.loads((SAMPLE / "complaints" / "ground_truth.json").read_text(encoding="utf-8"))["complaints"]
            episodes = {e["id"]: e for e in json.loads((SAMPLE / "episodes.json").read_text(encoding="utf-8"))}
            keys = {f"{r[0]}:{r[1]}": r[2] for r in conn.execute(
                "select channel, external_id, id from complaints").fetchall()}
            episode_of = {cid: truth[k]["episode"] for k, cid in keys.items() if k in truth}
            incidents = conn.execute("select id, size from incidents where merged_into is null and size >= 5 "
                                     "order by started_at").fetchall()
            for inc_id, size in incidents:
                members = [r[0] for r in conn.execute(
                    "select complaint_id from incident_complaints where incident_id = %s", (inc_id,))]
                eps = collections.Counter(episode_of.get(m) for m in members)
                ep, n = eps.most_common(1)[0]
                trace = incident_trace(conn, inc_id)
                top = [c["name"] for c in trace["candidates"][:3]]
                source = episodes[ep]["source_enterprise"] if ep else None
                results.append({"incident": inc_id, "size": size, "episode": ep, "source": source, "top3": top,
                                "top1_ok": source is not None and top[:1] == [source], "ms": trace["computed_ms"]})
                print(f"incident {inc_id:4d} size {size:3d} episode {ep or '-':4s} source {source or '-'}: "
                      f"trace {' > '.join(top)} ({trace['computed_ms']:.0f} ms)")
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'drop database if exists "{name}" with (force)')
    odour = [r for r in results if r["episode"] and episodes[r["episode"]]["kind"] != "noise"]
    print(json.dumps({"incidents_5plus": len(results), "episode_incidents": len(odour),
                      "episode_top1": sum(r["top1_ok"] for r in odour)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
