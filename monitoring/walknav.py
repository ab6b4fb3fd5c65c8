"""Walk-navigation (走航) hotspots: peaks above a rolling low-percentile background.

The background at each point is the ``percentile`` of the values within ``window`` (centred) of
the same pollutant along the track; a point is a hotspot when it exceeds ``factor`` times the
background and the background by ``min_excess``. Hotspot points less than ``merge_gap`` apart form one peak
(one crossing of a plume), kept at its maximum. Each peak is attached to the nearest enterprise and community; distances are in
metres in the city's metric projection (``envpetition.geo_crs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from envpetition.areas import current_areas
from envpetition.localtime import LOCAL_TZ_NAME
from monitoring.nearest import nearest

SELECT_TRACK = """
select ts, value, lon, lat from readings
where sensor_id = %s and pollutant = %s and ts >= %s and ts < %s and lon is not null and value is not null
order by ts
"""
MOBILE_SERIES = """
select distinct r.sensor_id, r.pollutant from readings r join sensors s on s.id = r.sensor_id
where s.kind = 'mobile' and r.ts >= %s and r.ts < %s and r.lon is not null
"""
INSERT_PEAK = """
insert into walknav_peaks (sensor_id, pollutant, ts, value, background, lon, lat, enterprise_id, enterprise_distance_m,
                           community_id, community_distance_m, found_at)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
on conflict (sensor_id, pollutant, ts) do nothing
"""

@dataclass
class Peak:
    ts: datetime
    value: float
    background: float
    lon: float
    lat: float
    enterprise_id: int | None = None
    enterprise_distance_m: float | None = None
    community_id: int | None = None
    community_distance_m: float | None = None


def find_peaks(track: pd.DataFrame, *, window: str = "300s", percentile: float = 0.10, factor: float = 2.0,
               min_excess: float = 0.0, merge_gap: str = "60s") -> list[Peak]:
    """Peaks of one pollutant along a track (columns ts, value, lon, lat; ts tz-aware).

    Examples
    --------
    >>> ts = pd.date_range("2026-08-14 21:00", periods=600, freq="s", tz="Asia/Shanghai")
    >>> values = np.full(600, 1.0); values[300:305] = [3, 6, 9, 5, 3]
    >>> track = pd.DataFrame({"ts": ts, "value": values, "lon": 117.8, "lat": 30.9})
    >>> [(p.ts.strftime("%H:%M:%S"), p.value) for p in find_peaks(track)]
    [('21:05:02', 9.0)]
    """
    if track.empty:
        return []
    frame = track.sort_values("ts").set_index("ts")
    background = frame["value"].rolling(window, center=True, min_periods=1).quantile(percentile)
    hot = (frame["value"] > background * factor) & (frame["value"] - background > min_excess)
    positions = np.flatnonzero(hot.to_numpy())
    if positions.size == 0:
        return []
    times = frame.index.to_numpy()
    values, backgrounds = frame["value"].to_numpy(float), background.to_numpy(float)
    lons, lats = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    # Hotspot points less than ``merge_gap`` apart belong to one plume crossing.
    breaks = np.flatnonzero(np.diff(times[positions]) > np.timedelta64(pd.Timedelta(merge_gap)))
    peaks = []
    for run in np.split(positions, breaks + 1):
        i = int(run[np.argmax(values[run])])
        peaks.append(Peak(pd.Timestamp(frame.index[i]).to_pydatetime(), float(values[i]), float(backgrounds[i]),
                          float(lons[i]), float(lats[i])))
    return peaks


def attach_nearest(peaks: Sequence[Peak], areas: Sequence[Any]) -> None:
    """Set the nearest enterprise and community (id, metres) on each peak."""
    if not peaks:
        return
    for kind in ("enterprise", "community"):
        found = nearest([a for a in areas if a.kind == kind], [p.lon for p in peaks], [p.lat for p in peaks])
        for peak, (area_id, distance) in zip(peaks, found, strict=True):
            setattr(peak, f"{kind}_id", area_id)
            setattr(peak, f"{kind}_distance_m", distance)


def find_and_store_peaks(conn: psycopg.Connection[Any], *, start: datetime, end: datetime, now: datetime,
                         **options: Any) -> list[dict[str, Any]]:
    """Peaks of every mobile sensor and pollutant in [start, end), stored and returned."""
    areas = current_areas(conn, ("enterprise", "community"))
    found: list[dict[str, Any]] = []
    with conn.transaction():
        for sensor_id, pollutant in conn.execute(MOBILE_SERIES, (start, end)).fetchall():
            rows = conn.execute(SELECT_TRACK, (sensor_id, pollutant, start, end)).fetchall()
            track = pd.DataFrame(rows, columns=["ts", "value", "lon", "lat"])
            track["ts"] = pd.to_datetime(track["ts"], utc=True).dt.tz_convert(LOCAL_TZ_NAME)
            peaks = find_peaks(track, **options)
            attach_nearest(peaks, areas)
            for p in peaks:
                conn.execute(INSERT_PEAK, (sensor_id, pollutant, p.ts, p.value, p.background, p.lon, p.lat, p.enterprise_id,
                                           p.enterprise_distance_m, p.community_id, p.community_distance_m, now))
                found.append({"sensor_id": sensor_id, "pollutant": pollutant, **p.__dict__})
    return found
