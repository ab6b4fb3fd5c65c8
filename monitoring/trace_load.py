"""Read what a trace needs from the database: wind, monitors with their history, walk-navigation peaks.

Positions are metres in the ``crs`` the caller chose for the trace. Windows are bounded by the incident: wind over [first complaint - horizon - 1 h, last complaint];
monitors as hourly maxima over [first - background - 3 h, last] and one month of hourly means for the
conditional probability function, both from the ``readings_1h`` rollup, so a month of minute data
is never read row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from envpetition.geo_crs import to_metric
from envpetition.localtime import LOCAL_BIN_ORIGIN_SQL
from monitoring.archive_reads import archived_rows
from monitoring.evidence.model import Monitor, WalkPeak, cpf_by_sector
from monitoring.flags import VALID_READING_SQL as VALID
from monitoring.wind import Station, station_from_readings

MET = "select id, lon, lat from sensors where kind = 'met' and lon is not null order by id"
WIND_CODES = ("a01008", "a01007", "a01008:1h", "a01007:1h")
WIND = """
select sensor_id, ts, pollutant, value from readings
where sensor_id = any(%s) and pollutant in ('a01008', 'a01007', 'a01008:1h', 'a01007:1h')
  and ts >= %s and ts < %s and """ + VALID + """
order by sensor_id, ts
"""
# Hourly vector-mean wind direction (an arithmetic mean of 350 and 10 would be 180).
WIND_HOURLY = """
select sensor_id, extract(epoch from date_bin('1 hour', ts, """ + LOCAL_BIN_ORIGIN_SQL + """))::float8 as hour,
       degrees(atan2(avg(sin(radians(value))), avg(cos(radians(value))))) as from_deg
from readings
where sensor_id = any(%s) and pollutant in ('a01008', 'a01008:1h') and ts >= %s and ts < %s and """ + VALID + """
group by 1, 2
"""
FIXED = "select id, lon, lat, pollutants from sensors where kind = 'fixed' and lon is not null order by id"
# Hourly maxima from the rollup: a rise shows in the hour's highest minute, and the background is the
# same statistic over the day before (so the two compare like with like). One index range per series.
SERIES = """
select p.sensor_id, split_part(p.pollutant, ':', 1) as code, extract(epoch from r.bucket)::float8 as t, r.max,
       p.pollutant like '%%:1h' as hourly
from unnest(%s::text[], %s::text[]) p(sensor_id, pollutant)
cross join lateral (
    select bucket, max from readings_1h
    where sensor_id = p.sensor_id and pollutant = p.pollutant and bucket >= %s and bucket < %s and n > 0) r
order by 1, 2, 5, 3
"""
HISTORY = """
select sensor_id, split_part(pollutant, ':', 1) as code, extract(epoch from bucket)::float8,
       sum(total) / nullif(sum(n), 0) as value
from readings_1h
where sensor_id = any(%s) and pollutant = any(%s) and bucket >= %s and bucket < %s and n > 0
group by 1, 2, 3
"""
PEAKS = """
select sensor_id, pollutant, ts, value, background, lon, lat from walknav_peaks where ts >= %s and ts < %s order by ts
"""


def _xy(lon: Sequence[float], lat: Sequence[float], crs: str) -> tuple[np.ndarray, np.ndarray]:
    return to_metric(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), crs)


def load_stations(conn: psycopg.Connection[Any], start: datetime, end: datetime, *,
                  crs: str) -> tuple[list[Station], list[dict[str, Any]]]:
    """Met stations with their direction/speed readings in [start, end) (minute and hourly)."""
    mets = conn.execute(MET).fetchall()
    if not mets:
        return [], []
    rows = conn.execute(WIND, ([m[0] for m in mets], start, end)).fetchall()
    # Days past retention are in the Parquet archive (monitoring/archive_reads.py).
    rows += archived_rows(conn, start, end, ["sensor_id", "ts", "pollutant", "value"], sensors=[m[0] for m in mets],
                          pollutants=WIND_CODES, valid_only=True)
    by: dict[tuple[str, float, bool], dict[str, float]] = {}
    for sid, ts, pol, value in rows:
        hourly = pol.endswith(":1h")
        by.setdefault((sid, ts.timestamp(), hourly), {})["d" if pol.startswith("a01008") else "s"] = float(value)
    xs, ys = _xy([m[1] for m in mets], [m[2] for m in mets], crs)
    stations, meta = [], []
    for k, (sid, lon, lat) in enumerate(mets):
        pairs = sorted((t, h, v) for (s, t, h), v in by.items() if s == sid and "d" in v and "s" in v)
        if not pairs:
            continue
        stations.append(station_from_readings(
            float(xs[k]), float(ys[k]), [p[0] for p in pairs], [p[2]["d"] for p in pairs], [p[2]["s"] for p in pairs],
            [3600.0 if p[1] else 60.0 for p in pairs]))
        meta.append({"id": sid, "lon": lon, "lat": lat, "readings": len(pairs)})
    return stations, meta


def load_monitors(conn: psycopg.Connection[Any], pollutants: Sequence[str], start: datetime, end: datetime, *,
                  history_before: datetime, crs: str, history_days: float = 30.0,
                  history_gap: timedelta = timedelta(hours=3)) -> list[Monitor]:
    """Fixed monitors' readings of the given pollutants in [start, end), each with its CPF by wind sector.

    The CPF history is the ``history_days`` of hourly means ending ``history_gap`` before ``end``
    (the caller passes the first complaint's time as ``end`` for it), so an episode never makes its
    own history.
    """
    fixed = [f for f in conn.execute(FIXED).fetchall() if set(f[3]) & set(pollutants)]
    if not fixed:
        return []
    ids = [f[0] for f in fixed]
    codes = sorted(set(pollutants))
    # Exact pollutant codes (minute and hourly series) so that the primary key bounds the scan.
    series_codes = codes + [f"{c}:1h" for c in codes]
    pairs = [(f[0], code) for f in fixed for code in series_codes if code.split(":")[0] in f[3]]
    rows = conn.execute(SERIES, ([p[0] for p in pairs], [p[1] for p in pairs], start, end)).fetchall()
    series: dict[tuple[str, str], dict[bool, list[tuple[float, float]]]] = {}
    for sid, code, t, value, hourly in rows:
        series.setdefault((sid, code), {}).setdefault(bool(hourly), []).append((t, float(value)))
    hist_end = history_before - history_gap
    hist_start = hist_end - timedelta(days=history_days)
    history: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for sid, code, bucket, value in conn.execute(HISTORY, (ids, series_codes, hist_start, hist_end)).fetchall():
        if value is not None:
            history.setdefault((sid, code), []).append((bucket, float(value)))
    mets = conn.execute(MET).fetchall()
    met_xy = _xy([m[1] for m in mets], [m[2] for m in mets], crs) if mets else (np.array([]), np.array([]))
    by_station: dict[str, list[tuple[float, float]]] = {}
    for sid, hour, deg in conn.execute(WIND_HOURLY, ([m[0] for m in mets], hist_start, hist_end)).fetchall():
        by_station.setdefault(sid, []).append((hour, float(deg) % 360.0))
    wind_hours = {sid: np.array(sorted(v)).T for sid, v in by_station.items()}  # (hours, directions)
    xs, ys = _xy([f[1] for f in fixed], [f[2] for f in fixed], crs)
    out = []
    for k, (sid, _lon, _lat, _pols) in enumerate(fixed):
        near = mets[int(np.argmin(np.hypot(met_xy[0] - xs[k], met_xy[1] - ys[k])))][0] if mets else None
        for code in codes:
            got = series.get((sid, code))
            if not got:
                continue
            points = got.get(False) or got.get(True) or []  # minute data's rollup where there is any, else hourly
            t = np.array([p[0] for p in points])
            v = np.array([p[1] for p in points])
            cpf = n = None
            hist = history.get((sid, code), [])
            if hist and near is not None and near in wind_hours:
                hours, dirs = wind_hours[near]
                h = np.array([p[0] for p in hist])
                i = np.clip(np.searchsorted(hours, h), 0, hours.size - 1)
                wd = np.where(hours[i] == h, dirs[i], np.nan)  # the same hour's wind, else none
                cpf, n = cpf_by_sector(wd, np.array([p[1] for p in hist]))
            out.append(Monitor(sid, float(xs[k]), float(ys[k]), code, t, v, cpf, n))
    return out


def load_peaks(conn: psycopg.Connection[Any], start: datetime, end: datetime, *, crs: str) -> list[WalkPeak]:
    """Walk-navigation peaks found in [start, end)."""
    rows = conn.execute(PEAKS, (start, end)).fetchall()
    if not rows:
        return []
    xs, ys = _xy([r[5] for r in rows], [r[6] for r in rows], crs)
    return [WalkPeak(r[0], float(xs[i]), float(ys[i]), r[2].timestamp(), r[1].split(":")[0], float(r[3]), float(r[4]))
            for i, r in enumerate(rows)]
