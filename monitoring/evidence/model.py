"""What the attribution reads: complaints, candidate plants, wind, monitors, walk-navigation peaks.

Plain data, positions in metres of the metric CRS and times in epoch seconds, so the scoring can
run on a database's rows and on a synthetic city alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from monitoring.odour_profiles import Profile
from monitoring.wind import Station

Float = NDArray[np.float64]
SECTORS = 16  # CPF wind sectors of 22.5 degrees


@dataclass(frozen=True)
class Complaint:
    id: int
    x: float
    y: float
    t: float  # epoch seconds
    local_hour: float
    descriptors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    x: float
    y: float
    profile: Profile
    confirmed: int = 0  # earlier incidents whose investigation confirmed this plant


@dataclass
class Monitor:
    """One fixed monitor's pollutant around the incident, and its history by wind sector."""

    sensor_id: str
    x: float
    y: float
    pollutant: str
    t: Float  # epoch seconds of readings in the incident window (background included)
    value: Float
    cpf: Float | None = None  # probability of a high reading per wind sector (SECTORS values)
    cpf_n: Float | None = None  # hours of history per sector


@dataclass(frozen=True)
class WalkPeak:
    sensor_id: str
    x: float
    y: float
    t: float
    pollutant: str
    value: float
    background: float


@dataclass
class Scene:
    """Everything one trace looks at."""

    complaints: list[Complaint]
    candidates: list[Candidate]
    stations: list[Station]
    monitors: list[Monitor] = field(default_factory=list)
    peaks: list[WalkPeak] = field(default_factory=list)
    confirmed_total: int = 0  # confirmed incidents in the history the candidates' counts come from


@dataclass
class Evidence:
    """One term of a candidate's score: a log-likelihood ratio and what it means."""

    key: str
    llr: float
    zh: str
    en: str
    detail: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "llr": round(self.llr, 3), "zh": self.zh, "en": self.en, "detail": self.detail}


def cpf_by_sector(wind_from_deg: Float, values: Float, quantile: float = 0.75,
                  min_hours: int = 3) -> tuple[Float, Float]:
    """Conditional probability function: share of high readings (above the quantile) per wind sector.

    Returns (cpf, hours) per sector; sectors with fewer than ``min_hours`` readings get NaN.

    Examples
    --------
    >>> wd = np.array([0.0] * 10 + [180.0] * 10)
    >>> v = np.array([5.0] * 10 + [1.0] * 10)
    >>> cpf, n = cpf_by_sector(wd, v, quantile=0.5)
    >>> float(cpf[0]), float(cpf[8]), int(n[0])
    (1.0, 0.0, 10)
    """
    ok = ~np.isnan(wind_from_deg) & ~np.isnan(values)
    wd, v = wind_from_deg[ok], values[ok]
    hours = np.zeros(SECTORS)
    cpf = np.full(SECTORS, np.nan)
    if v.size == 0:
        return cpf, hours
    threshold = np.quantile(v, quantile)
    sector = np.floor(((wd % 360.0) + 180.0 / SECTORS) / (360.0 / SECTORS)).astype(int) % SECTORS
    hours = np.bincount(sector, minlength=SECTORS).astype(float)
    high = np.bincount(sector, weights=(v > threshold).astype(float), minlength=SECTORS)
    cpf = np.where(hours >= min_hours, high / np.maximum(hours, 1.0), np.nan)
    return cpf, hours


def sector_of(bearing_deg: Float | float) -> Float:
    """The CPF sector index of a bearing."""
    b = np.asarray(bearing_deg, dtype=float)
    return np.asarray(np.floor(((b % 360.0) + 180.0 / SECTORS) / (360.0 / SECTORS)).astype(int) % SECTORS)
