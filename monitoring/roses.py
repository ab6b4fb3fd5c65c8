"""Wind roses and pollution roses: hourly values binned by the direction the wind blows from.

Pure functions on arrays (no database). Directions are meteorological: degrees clockwise from
north, the direction the wind comes FROM; sector 0 is centred on north.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SECTORS_ZH = ["北", "北东北", "东北", "东东北", "东", "东东南", "东南", "南东南",
              "南", "南西南", "西南", "西西南", "西", "西西北", "西北", "北西北"]
SECTORS_EN = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
SPEED_CLASSES = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)  # m/s class edges; the last class is open
CALM_MS = 0.2  # below this the direction means nothing


@dataclass
class WindRose:
    """Share of hours (%) per sector and speed class; ``frequency[class][sector]``."""

    sectors: list[str]
    classes: list[str]
    frequency: list[list[float]]
    calm_pct: float
    hours: int


@dataclass
class PollutionRose:
    """Mean concentration per sector with the hours behind each mean."""

    sectors: list[str]
    mean: list[float | None]
    hours: list[int]


def sector_of(directions: Sequence[float] | np.ndarray, n: int = 16) -> np.ndarray:
    """Sector index (0 = north) of each direction.

    >>> sector_of([0, 11, 12, 349, 360, 90, 185]).tolist()
    [0, 0, 1, 0, 0, 4, 8]
    """
    width = 360 / n
    return (np.floor((np.asarray(directions, dtype=float) % 360 + width / 2) / width) % n).astype(int)


def sector_labels() -> list[str]:
    """``北 N``, ``北东北 NNE``, … one per sector, clockwise from north."""
    return [f"{zh} {en}" for zh, en in zip(SECTORS_ZH, SECTORS_EN, strict=True)]


def sector_centres(n: int = 16) -> list[float]:
    """Centre of each sector in degrees (0 = north)."""
    return [i * 360 / n for i in range(n)]


def wind_rose(directions: Sequence[float], speeds: Sequence[float]) -> WindRose:
    """Bin paired hourly wind directions and speeds; calm hours are counted apart.

    >>> rose = wind_rose([0, 5, 90, 180, 270], [0.5, 1.5, 2.5, 6.0, 0.1])
    >>> rose.hours, rose.calm_pct, rose.frequency[0][0], rose.frequency[1][0], rose.frequency[4][8]
    (5, 20.0, 20.0, 20.0, 20.0)
    """
    d = np.asarray(directions, dtype=float)
    s = np.asarray(speeds, dtype=float)
    ok = np.isfinite(d) & np.isfinite(s)
    d, s = d[ok], s[ok]
    hours = int(d.size)
    edges = list(SPEED_CLASSES)
    classes = [f"{a:g}–{b:g} m/s" for a, b in zip(edges, edges[1:], strict=False)] + [f"≥ {edges[-1]:g} m/s"]
    freq = np.zeros((len(classes), 16))
    moving = s >= CALM_MS
    if hours:
        klass = np.clip(np.searchsorted(edges, s[moving], side="right") - 1, 0, len(classes) - 1)
        np.add.at(freq, (klass, sector_of(d[moving])), 1)
        freq = freq / hours * 100
    calm = float((~moving).sum() / hours * 100) if hours else 0.0
    return WindRose(sector_labels(), classes, np.round(freq, 2).tolist(), round(calm, 2), hours)


def pollution_rose(directions: Sequence[float], values: Sequence[float]) -> PollutionRose:
    """Mean of ``values`` per sector of the paired wind direction (hours with no value are left out).

    >>> rose = pollution_rose([0, 10, 90, 95], [1.0, 3.0, 0.5, float("nan")])
    >>> rose.mean[0], rose.hours[0], rose.mean[4], rose.hours[4], rose.mean[8]
    (2.0, 2, 0.5, 1, None)
    """
    d = np.asarray(directions, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(d) & np.isfinite(v)
    sectors = sector_of(d[ok])
    total = np.bincount(sectors, weights=v[ok], minlength=16)
    count = np.bincount(sectors, minlength=16)
    mean = [float(t / c) if c else None for t, c in zip(total, count, strict=True)]
    return PollutionRose(sector_labels(), mean, count.astype(int).tolist())
