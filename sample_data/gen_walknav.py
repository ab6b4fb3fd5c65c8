"""Walk-navigation (走航) runs: 1 Hz tracks around the chemical plants.

The vehicle loops on the roads between the community cluster, 铜化有机化工 and
安纳达钛业 (local metres, see gen_common). Readings come from the same dispersion
model as the fixed monitors, at the vehicle position, with a 8 s sensor lag.
Positions are reported in GCJ-02 (Amap) like the real devices.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from shapely.geometry import LineString

from gen_common import (
    TZ,
    fmt_num,
    iso,
    local_to_lonlat,
    minute_of,
    round_coord,
    wgs84_to,
    write_csv,
)

# 迎江路 / 焦化路 / 金山路 loop: interior road, east road, north road (upwind in E1),
# 焦化路 along the west fence, 迎江路 along the south fence (downwind in E1).
ROUTE = [
    (2450, 780),
    (3800, 780),
    (3800, 950),
    (4500, 950),
    (4500, 2300),
    (3300, 2300),
    (3300, 1400),
    (4450, 1400),
    (4450, 1330),
    (2450, 1330),
    (2450, 780),
]
RUNS = [
    ("walknav_run1.csv", "W01", datetime(2026, 8, 14, 21, 10, tzinfo=TZ)),
    ("walknav_run2.csv", "W02", datetime(2026, 9, 24, 14, 0, tzinfo=TZ)),
]
HEADER = ["ts", "sensor_id", "lon", "lat", "crs", "voc", "odour", "pm25", "pm10", "speed_kmh"]


def _speed(rng, n: int) -> np.ndarray:
    """Speed in m/s: cruising segments of 8-30 km/h with stops, first-order smoothed."""
    target = np.empty(n)
    i = 0
    while i < n:
        seg = int(rng.integers(20, 90))
        v = 0.0 if rng.random() < 0.12 else rng.uniform(8, 30) / 3.6
        target[i : i + seg] = v
        i += seg
    v = np.empty(n)
    cur = 0.0
    for k in range(n):
        cur += (target[k] - cur) / 5.0
        v[k] = cur
    return v


def _lag(x: np.ndarray, tau: float) -> np.ndarray:
    out = np.empty_like(x)
    cur = x[0]
    for k in range(len(x)):
        cur += (x[k] - cur) / tau
        out[k] = cur
    return out


def run(rng, sim, fname, sensor_id, start, out_dir) -> dict:
    n = 3600
    line = LineString(ROUTE)
    v = _speed(rng, n)
    dist = np.cumsum(v) % line.length
    pts = [line.interpolate(float(d)) for d in dist]
    x = np.array([p.x for p in pts]) + rng.normal(0, 2.0, n)
    y = np.array([p.y for p in pts]) + rng.normal(0, 2.0, n)
    m = minute_of(start) + np.arange(n) // 60
    vals = {}
    for code, key in (
        ("a24088", "voc"),
        ("a99990", "odour"),
        ("a34004", "pm25"),
        ("a34002", "pm10"),
    ):
        c = sim.bg[code][m] + sim.local(code, x, y, m)
        c = _lag(c * np.exp(0.15 * rng.standard_normal(n)), 8.0)
        vals[key] = np.maximum(c * (1 + 0.03 * rng.standard_normal(n)), 0)
    lon, lat = local_to_lonlat(x, y)
    glon, glat = wgs84_to("GCJ02", lon, lat)
    rows = []
    for k in range(n):
        rows.append(
            [
                iso(start + timedelta(seconds=k)),
                sensor_id,
                round_coord(float(glon[k])),
                round_coord(float(glat[k])),
                "GCJ02",
                fmt_num(vals["voc"][k], 3),
                fmt_num(vals["odour"][k], 0),
                fmt_num(vals["pm25"][k], 0),
                fmt_num(vals["pm10"][k], 0),
                fmt_num(v[k] * 3.6, 1),
            ]
        )
    write_csv(out_dir / fname, HEADER, rows)
    peak = int(np.argmax(vals["voc"]))
    return {
        "file": fname,
        "rows": n,
        "voc_max": float(vals["voc"].max()),
        "voc_median": float(np.median(vals["voc"])),
        "odour_max": float(vals["odour"].max()),
        "peak_at": iso(start + timedelta(seconds=peak)),
        "peak_xy": (float(x[peak]), float(y[peak])),
    }


def write_runs(rng, sim, out_dir) -> list[dict]:
    return [run(rng, sim, f, sid, t0, out_dir) for f, sid, t0 in RUNS]
