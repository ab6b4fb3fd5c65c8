"""A synthetic city for the analytics benchmarks: 500 communities, N complaints over 12 months, cases.

Written straight into a fresh database with COPY (the import pipeline has its own benchmark):
communities on a 25 x 20 grid with populations, three odour clusters that flare in some months,
complaints outside communities, repeat complainants, and one case per complaint with accept,
arrive and close clocks in several states.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.migrate import migrate
from envpetition.servers import ensure_database, start_embedded_postgres, with_database

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 11, 1, tzinfo=TZ)
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=TZ)
X0, Y0, X1, Y1 = 117.60, 30.80, 118.00, 31.10
CHANNELS = ["12369", "12345", "letters", "online"]
CATS = ["odour", "smoke_dust", "industrial_exhaust", "cooking_fumes", "noise_construction", "noise_social", "water",
        "solid_waste"]


@contextmanager
def bench_database(keep: bool = False) -> Iterator[str]:
    """A migrated database of this run's own on ``DATABASE_URL`` (else an embedded server), dropped after."""
    admin = os.environ.get("DATABASE_URL") or start_embedded_postgres(Path(tempfile.mkdtemp()) / "pg")
    name = f"envp_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        yield url
    finally:
        if keep:
            print(f"kept: {url}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {name} with (force)")


def build(conn: psycopg.Connection, n: int, *, communities: int = 500, seed: int = 12) -> dict[str, int]:
    """Areas, teams, complaints with contacts, cases with clocks; returns counts."""
    rng = np.random.default_rng(seed)
    nx = 25
    ny = communities // nx
    dx, dy = (X1 - X0) / nx, (Y1 - Y0) / ny
    ids = []
    for d in range(3):
        save_area(conn, Area("district", f"区{d}", shapely.box(X0 + d * (X1 - X0) / 3, Y0, X0 + (d + 1) * (X1 - X0) / 3, Y1)), now=START)
    for i in range(nx):
        for j in range(ny):
            box = shapely.box(X0 + (i + 0.2) * dx, Y0 + (j + 0.2) * dy, X0 + (i + 0.8) * dx, Y0 + (j + 0.8) * dy)
            pop = int(rng.integers(80, 12000))
            area_id, _ = save_area(conn, Area("community", f"小区{i:02d}{j:02d}", box, attributes={"population": pop,
                                                                                              "district": f"区{i * 3 // nx}"}), now=START)
            ids.append((area_id, i, j, pop))
    districts = dict(conn.execute("select name, id from areas where kind = 'district'").fetchall())
    teams = [conn.execute("insert into teams (name) values (%s) returning id", (f"执法{t}队",)).fetchone()[0] for t in range(9)]
    pops = np.array([p for *_, p in ids], dtype=float)
    weight = pops / pops.sum()
    hot = {k for k, (_, i, j, _) in enumerate(ids) if (3 <= i <= 5 and 3 <= j <= 5) or (15 <= i <= 16 and 10 <= j <= 12)}
    month_of = rng.integers(0, 12, n)
    community = rng.choice(len(ids), n, p=weight)
    burst = rng.random(n) < 0.25  # a quarter of complaints come from the clusters in their bad months
    cluster_list = sorted(hot)
    community[burst] = rng.choice(cluster_list, burst.sum())
    month_of[burst] = rng.choice([3, 4, 7, 8, 10, 11], burst.sum())
    outside = rng.random(n) < 0.05
    received = [START + timedelta(days=int(m) * 30.4 + float(rng.uniform(0, 30)), minutes=int(rng.integers(0, 1440)))
                for m in month_of]
    people = rng.integers(0, n // 3, n)
    with conn.cursor() as cur:
        with cur.copy("copy cases (state, priority, level, title, categories, team_id, community_id, opened_at, closed_at, outcome) "
                      "from stdin") as cp:
            case_rows = []
            for k in range(n):
                cid = None if outside[k] else ids[community[k]][0]
                closed = received[k] + timedelta(days=float(rng.uniform(2, 80))) if rng.random() < 0.8 else None
                if closed is not None and closed > NOW:
                    closed = None
                case_rows.append((cid, closed))
                cp.write_row(("closed" if closed else "assigned", "normal", int(rng.integers(1, 4)), f"投诉 {k}",
                              [CATS[int(rng.integers(0, len(CATS)))]], teams[k % 9], cid, received[k], closed,
                              "resolved" if closed else None))
        case_ids = [r[0] for r in cur.execute("select id from cases order by id").fetchall()]
        with cur.copy("copy clocks (case_id, kind, started_at, due_at, met_at, outcome, policy_version) from stdin") as cp:
            for k, case_id in enumerate(case_ids):
                cid, closed = case_rows[k]
                for kind, days in (("accept", 15), ("arrive", 1), ("close", 60)):
                    due = received[k] + timedelta(days=days)
                    met = (received[k] + timedelta(hours=float(rng.uniform(1, days * 30)))) if kind != "close" else closed
                    if met is not None and met > NOW:
                        met = None
                    cp.write_row((case_id, kind, received[k], due, met, "met" if met else None, 1))
        with cur.copy("copy complaints (channel, external_id, received_at, text, lon, lat, community_id, district_id, "
                      "categories, case_id) from stdin") as cp:
            for k in range(n):
                _, i, j, _ = ids[community[k]]
                if outside[k]:
                    lon, lat = X0 + (i + 0.9) * dx, Y0 + (j + 0.9) * dy  # between communities
                else:
                    lon, lat = X0 + (i + float(rng.uniform(0.3, 0.7))) * dx, Y0 + (j + float(rng.uniform(0.3, 0.7))) * dy
                cats = list({CATS[int(c)] for c in rng.integers(0, len(CATS), 1 + int(rng.random() < 0.2))})
                cp.write_row((CHANNELS[k % 4], f"B{k}", received[k], "夜间异味严重", lon, lat,
                              None if outside[k] else ids[community[k]][0], districts[f"区{i * 3 // nx}"], cats, case_ids[k]))
        cur.execute("insert into complainant_contacts (complaint_id, name, phone_hash) "
                    "select id, '某某', md5((id %% %s)::text) from complaints", (n // 3,))
        del people
    conn.execute("analyze")
    return {"communities": len(ids), "complaints": n, "cases": len(case_ids), "hot_communities": len(hot)}
