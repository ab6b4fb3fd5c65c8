"""Walk-navigation peaks: rolling background, grouping, nearest enterprise and community."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely

from envpetition.city import CityBuilder
from monitoring import storage
from monitoring.sensors import Sensor, save_sensor
from monitoring.walknav import find_and_store_peaks, find_peaks

T0 = datetime.fromisoformat("2026-08-14T21:00:00+08:00")


def track(values: list[float], lon0: float = 117.80) -> pd.DataFrame:
    ts = pd.date_range(T0, periods=len(values), freq="s")
    return pd.DataFrame({"ts": ts, "value": values, "lon": [lon0 + i * 1e-5 for i in range(len(values))], "lat": 30.90})


@pytest.mark.parametrize(
    ("spikes", "expected"),
    [
        ({}, []),  # flat: nothing
        ({100: 5.0}, [(100, 5.0)]),  # one point
        ({100: 3.0, 101: 8.0, 102: 4.0}, [(101, 8.0)]),  # one run, kept at its maximum
        ({100: 5.0, 400: 6.0}, [(100, 5.0), (400, 6.0)]),  # two separate peaks
        ({100: 5.0, 130: 6.0}, [(130, 6.0)]),  # 30 s apart: one plume crossing
        ({100: 1.5}, []),  # below factor x background
    ],
)
def test_find_peaks(spikes: dict[int, float], expected: list[tuple[int, float]]) -> None:
    values = [1.0] * 600
    for i, v in spikes.items():
        values[i] = v
    got = [(int((p.ts - T0).total_seconds()), p.value) for p in find_peaks(track(values))]
    assert got == expected


def test_background_follows_a_slow_rise() -> None:
    # A slow drift to 3x is background, not a hotspot; a sharp spike on top of it is.
    values = list(np.linspace(1.0, 3.0, 1200))
    values[900] = 12.0
    peaks = find_peaks(track(values))
    assert [int((p.ts - T0).total_seconds()) for p in peaks] == [900]
    assert 2.0 < peaks[0].background < 3.0


def test_peaks_stored_with_nearest_enterprise_and_community(conn: Any) -> None:
    city = CityBuilder(conn, now=T0)
    plant = city.enterprise("化工厂", shapely.box(117.8030, 30.9010, 117.8040, 30.9020))
    far_plant = city.enterprise("远厂", shapely.box(117.90, 30.95, 117.91, 30.96))
    home = city.community("小区", shapely.box(117.8000, 30.8980, 117.8010, 30.8990))
    save_sensor(conn, Sensor(id="W01", kind="mobile", name="走航车", pollutants=["a24088"], units=["mg/m3"]))
    storage.prepare_connection(conn)
    rows = [(T0 + timedelta(seconds=i), "W01", "a24088", 9.0 if i == 300 else 1.0, "N", 117.80 + i * 1e-5, 30.90, None)
            for i in range(600)]
    storage.store_rows(conn, rows, maintain_rollups=True)
    peaks = find_and_store_peaks(conn, start=T0, end=T0 + timedelta(hours=1), now=T0 + timedelta(hours=1))
    assert len(peaks) == 1
    peak = peaks[0]
    assert peak["enterprise_id"] == plant and peak["community_id"] == home
    # The peak is at lon 117.803, lat 30.900: 111 m south of the plant's edge.
    assert 100 < peak["enterprise_distance_m"] < 125
    stored = conn.execute("select value, enterprise_id from walknav_peaks").fetchall()
    assert stored == [(9.0, plant)]
    assert far_plant != plant
