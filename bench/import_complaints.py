"""Import N complaints (default 100,000) into PostgreSQL through the real pipeline; report complaints/s.

A synthetic city (400 communities, 60 enterprises, 16 grids) and a 12369-style CSV are generated;
coordinates are a mix of WGS-84, GCJ-02 and BD-09, some rows address-only, some bad. Baselines,
measured in the same run on the same database with a sample of the same rows: the same pipeline
fed one complaint per transaction (how the API takes them), and a bare INSERT + commit per row
(no locating, no cases). Seconds per phase show what dispatch's per-case calls cost. The last
line is one JSON object.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres PYTHONPATH=$PWD python bench/import_complaints.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import psycopg
import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.geo_crs import wgs84_to_bd09, wgs84_to_gcj02
from envpetition.localtime import LOCAL_TZ
from envpetition.migrate import migrate
from envpetition.servers import ensure_database, start_embedded_postgres, with_database
from envpetition.teams import save_team

if TYPE_CHECKING:
    from ingest.batch import IntakeContext

TZ = LOCAL_TZ
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=TZ)
X0, Y0, X1, Y1 = 117.70, 30.85, 117.95, 31.05
TEXTS = ["小区里有很重的臭味，晚上更明显", "工地夜间施工噪音扰民", "饭店油烟直排，窗户都不敢开", "河道发黑发臭，有人偷排污水",
         "工厂烟囱冒黑烟", "有人倾倒建筑垃圾", "广场舞音响太吵", "渣土车扬尘严重", "化工厂排放废气，气味刺鼻",
         "路边有人焚烧垃圾，浓烟很大", "货车夜间鸣笛", "基站辐射担心影响健康"]


def build_city(conn: psycopg.Connection, rng: np.random.Generator) -> list[Area]:
    areas: list[Area] = []
    nx, ny = 20, 20
    dx, dy = (X1 - X0) / nx, (Y1 - Y0) / ny
    for i in range(nx):
        for j in range(ny):
            areas.append(Area("community", f"社区{i:02d}{j:02d}", shapely.box(X0 + i * dx, Y0 + j * dy, X0 + (i + 1) * dx, Y0 + (j + 1) * dy)))
    for g in range(16):
        gi, gj = divmod(g, 4)
        areas.append(Area("grid", f"网格{g}", shapely.box(X0 + gi * (X1 - X0) / 4, Y0 + gj * (Y1 - Y0) / 4,
                                                     X0 + (gi + 1) * (X1 - X0) / 4, Y0 + (gj + 1) * (Y1 - Y0) / 4),
                          attributes={"team": f"执法{g}队"}))
    for e in range(60):
        x, y = rng.uniform(X0, X1), rng.uniform(Y0, Y1)
        areas.append(Area("enterprise", f"企业{e:02d}有限公司", shapely.box(x, y, x + 0.003, y + 0.002)))
    areas.append(Area("district", "铜官区", shapely.box(X0, Y0, X1, Y1)))
    with conn.transaction():
        for area in areas:
            area.id, _ = save_area(conn, area, now=NOW)
            if area.kind == "grid":
                save_team(conn, area.attributes["team"], grid_id=area.id)
    return areas


def write_export(path: Path, n: int, rng: np.random.Generator) -> None:
    lon, lat = rng.uniform(X0, X1, n), rng.uniform(Y0, Y1, n)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    kind = rng.choice(4, n, p=[0.5, 0.25, 0.15, 0.10])
    start = NOW - timedelta(days=60)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["编号", "举报时间", "举报人", "联系电话", "被举报单位", "地址", "经度", "纬度", "坐标系", "举报内容"])
        for i in range(n):
            at = start + timedelta(seconds=int(i * 60 * 24 * 60 * 60 / n))
            phone = f"13{rng.integers(0, 10**9):09d}"
            text = TEXTS[i % len(TEXTS)]
            if kind[i] == 0:
                row = [f"{lon[i]:.6f}", f"{lat[i]:.6f}", ""]
            elif kind[i] == 1:
                row = [f"{g_lon[i]:.6f}", f"{g_lat[i]:.6f}", "GCJ02"]
            elif kind[i] == 2:
                row = [f"{b_lon[i]:.6f}", f"{b_lat[i]:.6f}", "BD09"]
            else:
                row = ["", "", ""]
            address = f"社区{rng.integers(0, 20):02d}{rng.integers(0, 20):02d}3栋" if kind[i] == 3 else ""
            date = at.strftime("%Y-%m-%d %H:%M:%S") if i % 500 else "2026-13-01"  # 0.2 % bad dates
            out.writerow([f"B{i:07d}", date, "匿名", phone, "", address, *row, text])


def one_at_a_time(conn: psycopg.Connection, path: Path, sample: int, ctx: IntakeContext) -> float:
    """The same pipeline, one complaint per call and per transaction (how the API takes them)."""
    from ingest.importer import _entry
    from ingest.readers import read_file
    from ingest.service import ingest_batch

    raw = read_file(path, channel="bench-single")
    rows = raw.rows[:sample]
    start = time.perf_counter()
    for row in rows:
        entry = _entry(row, raw, now=NOW)
        with conn.transaction():
            ingest_batch(conn, [entry], ctx, source="bench", now=NOW)
    return len(rows) / (time.perf_counter() - start)


def naive_baseline(conn: psycopg.Connection, path: Path, sample: int) -> float:
    """One INSERT and one commit per row, the importer people write first."""
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))[:sample]
    start = time.perf_counter()
    for row in rows:
        with conn.transaction():
            conn.execute("insert into complaints (channel, external_id, received_at, text, address) values (%s, %s, now(), %s, %s)",
                         ("naive", row["编号"], row["举报内容"], row["地址"]))
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    from ingest.batch import IntakeContext
    from ingest.importer import import_file

    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL") or start_embedded_postgres(Path(tempfile.mkdtemp()) / "pg")
    name = f"envp_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(admin, name)
    url = with_database(admin, name)
    rng = np.random.default_rng(12369)
    try:
        with connect(url, autocommit=True) as conn, tempfile.TemporaryDirectory() as tmp:
            migrate(conn)
            build_city(conn, rng)
            export = Path(tmp) / "12369.csv"
            write_export(export, args.complaints, rng)
            ctx = IntakeContext.load(conn)
            ctx.classifier.classify("预热")  # jieba's dictionary loads once, outside the timing
            start = time.perf_counter()
            summary = import_file(conn, export, now=NOW, ctx=ctx, batch_size=5000)
            seconds = time.perf_counter() - start
            phases = sorted(ctx.timings.items(), key=lambda kv: -kv[1])
            cases = conn.execute("select count(*) from cases").fetchone()[0]
            single = one_at_a_time(conn, export, args.baseline_sample, ctx)
            naive = naive_baseline(conn, export, args.baseline_sample)
        rate = args.complaints / seconds
        result = {"bench": "import_complaints", "complaints": args.complaints, "seconds": round(seconds, 2),
                  "complaints_per_s": round(rate), "accepted": summary.accepted, "duplicates": summary.duplicates,
                  "quarantined": summary.quarantined, "cases": cases,
                  "one_at_a_time_per_s": round(single), "ratio_vs_one_at_a_time": round(rate / single, 2),
                  "bare_insert_commit_per_s": round(naive),
                  "database": "embedded" if not os.environ.get("DATABASE_URL") else "server",
                  "phase_seconds": {k: round(v, 1) for k, v in phases}}
        print("seconds by phase: " + ", ".join(f"{k} {v:.1f}" for k, v in phases))
        print(f"{args.complaints:,} complaints in {seconds:.1f} s: {rate:,.0f}/s; the same pipeline one complaint "
              f"per transaction: {single:,.0f}/s ({rate / single:.2f}x); a bare INSERT+commit per row with no "
              f"locating or cases: {naive:,.0f}/s")
        print(json.dumps(result))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


if __name__ == "__main__":
    # bench/ingest.py would shadow the ingest package: import from the project root, not from bench/
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    main()
