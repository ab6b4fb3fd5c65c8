"""Pollutant labels from the one table, wind and pollution roses, and the reads the monitoring page makes."""

from __future__ import annotations

import csv
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from monitoring import storage
from monitoring.pollutants import pollutant_label, pollutant_name, pollutant_table, unit_symbol
from monitoring.queries import bucketed_many, hourly_wind, latest_values
from monitoring.roses import pollution_rose, sector_of, wind_rose

SAMPLE_SENSORS = Path(__file__).resolve().parents[2] / "sample_data" / "sensors" / "sensors.csv"
CST = timezone(timedelta(hours=8))


def test_every_factor_and_unit_of_the_sample_sensors_has_a_name_and_a_symbol() -> None:
    with SAMPLE_SENSORS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = {c for r in rows for c in r["pollutants"].split(";") if c}
    units = {u for r in rows for u in r["units"].split(";") if u}
    assert codes - set(pollutant_table()) == set()
    for code in codes:
        assert pollutant_name(code) != code  # a name, not the bare code
    assert {u for u in units if unit_symbol(u) == u} <= {"m/s", "%", "dB(A)", "kPa"}


@pytest.mark.parametrize(("series", "unit", "expected"), [
    ("a01001", "degC", "温度 air temperature · °C"),
    ("a01008", None, "风向 wind direction (from) · °"),
    ("a21028", "mg/m3", "硫化氢 H₂S hydrogen sulphide · mg/m³"),
    ("a21028:1h", "mg/m3", "硫化氢 H₂S hydrogen sulphide（小时均值） · mg/m³"),
    ("a34004", "ug/m3", "细颗粒物 PM2.5 fine particulate matter · μg/m³"),
    ("a99990", "dimensionless", "臭气浓度 odour concentration (local code) · 无量纲"),
    ("zz999", "mg/m3", "zz999 · mg/m³"),
])
def test_labels_chinese_first_with_units(series: str, unit: str | None, expected: str) -> None:
    assert pollutant_label(series, unit) == expected


@pytest.mark.parametrize(("direction", "sector"), [
    (0, 0), (11.24, 0), (11.25, 1), (348.75, 0), (348.74, 15), (359.99, 0), (360, 0), (-10, 0), (90, 4), (202.5, 9),
])
def test_sector_edges(direction: float, sector: int) -> None:
    assert sector_of([direction]).tolist() == [sector]


def test_wind_rose_shares_add_up_and_match_a_plain_count() -> None:
    rng = random.Random(7)
    directions = [rng.uniform(0, 360) for _ in range(500)]
    speeds = [rng.choice([0.0, 0.1]) if i % 10 == 0 else rng.uniform(0.2, 9) for i in range(500)]
    rose = wind_rose(directions, speeds)
    assert rose.hours == 500
    assert sum(map(sum, rose.frequency)) + rose.calm_pct == pytest.approx(100, abs=0.1)
    north_fast = sum(1 for d, s in zip(directions, speeds, strict=True)
                     if s >= 8 and (d >= 348.75 or d < 11.25))
    assert rose.frequency[-1][0] == pytest.approx(north_fast / 500 * 100, abs=0.01)


def test_pollution_rose_is_the_mean_per_sector() -> None:
    rng = np.random.default_rng(3)
    directions = rng.uniform(0, 360, 400)
    values = rng.uniform(0, 1, 400) + (np.abs(((directions - 45) + 180) % 360 - 180) < 20)  # more from the NE
    rose = pollution_rose(directions.tolist(), values.tolist())
    mask = sector_of(directions) == 2
    assert rose.mean[2] == pytest.approx(values[mask].mean())
    assert rose.hours[2] == int(mask.sum())
    assert max(range(16), key=lambda i: rose.mean[i] or 0) == 2


def _store(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    storage.prepare_connection(conn)
    storage.store_rows(conn, [(ts, s, p, v, f, None, None, None) for ts, s, p, v, f in rows], maintain_rollups=True)


def test_reads_for_the_page_latest_buckets_and_vector_mean_wind(conn: psycopg.Connection[Any]) -> None:
    for sid, kind in (("T1", "fixed"), ("T2", "fixed"), ("TM", "met")):
        conn.execute("insert into sensors (id, kind, name, lon, lat, pollutants, units) values (%s, %s, %s, 117.8, 30.9, "
                     "%s, %s)", (sid, kind, sid, ["a21028"], ["mg/m3"]))
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=CST)
    rows = [(t0 + timedelta(minutes=m), "T1", "a21028", 0.01 * (m // 60 + 1), None) for m in range(120)]
    rows += [(t0 + timedelta(hours=h), "T2", "a21028:1h", 0.5 + h, None) for h in range(3)]  # the device's own hourly
    rows += [(t0 + timedelta(hours=3), "T2", "a21028:1h", 99.0, "D")]  # invalid flag: never the latest
    rows += [(t0 + timedelta(minutes=m), "TM", "a01008", 350.0 if m % 2 else 10.0, None) for m in range(60)]
    rows += [(t0 + timedelta(minutes=m), "TM", "a01007", 2.0, None) for m in range(60)]
    _store(conn, rows)
    latest = latest_values(conn, ["T1", "T2", "TM"], "a21028")
    assert set(latest) == {"T1", "T2"}
    assert latest["T1"]["value"] == pytest.approx(0.02) and latest["T2"]["value"] == pytest.approx(2.5)
    hourly = bucketed_many(conn, ["T1", "T2"], "a21028", t0, t0 + timedelta(hours=4), "1 hour")
    assert [(r["sensor_id"], round(r["value"], 3)) for r in hourly] == [
        ("T1", 0.01), ("T1", 0.02), ("T2", 0.5), ("T2", 1.5), ("T2", 2.5)]
    tens = bucketed_many(conn, ["T1"], "a21028", t0, t0 + timedelta(hours=2), "10 minutes")
    assert len(tens) == 12 and tens[0]["value"] == pytest.approx(0.01) and tens[-1]["value"] == pytest.approx(0.02)
    wind = hourly_wind(conn, "TM", t0, t0 + timedelta(hours=1))
    assert len(wind) == 1
    assert min(wind[0]["direction"], 360 - wind[0]["direction"]) < 1e-6  # 350° and 10° average to north
    assert wind[0]["speed"] == pytest.approx(2.0)
    assert math.isfinite(wind[0]["direction"])
