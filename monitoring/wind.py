"""The wind a complaint's air travelled on: met-station readings before the complaint, never after.

A station's readings are averages over an interval (1 min or 1 h) stamped at its start, as HJ 212
``DataTime`` is; an average is known only once its interval has ended, so a complaint at ``t0`` may
use a reading only when ``start + interval <= t0``. Directions are meteorological (where the wind
comes FROM, clockwise from north); the air moves the other way. Times are epoch seconds, positions
metres in the metric CRS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Float = NDArray[np.float64]
CALM_MS = 0.5  # below this the direction vane means nothing
VARIABLE_DEG = 60.0  # sigma-theta above this: the direction is "variable"
DEFAULT_SIGMA_THETA_DEG = 20.0  # hourly data carries no sigma-theta; a typical urban value
MAX_GAP_S = 2 * 3600.0  # a reading farther than this from the moment asked about is no reading


@dataclass(frozen=True)
class Station:
    """One met station's readings, sorted by start time."""

    x: float
    y: float
    start: Float  # epoch seconds, start of each averaging interval
    interval_s: Float  # length of each interval (60 for minute data, 3600 for hourly)
    from_deg: Float
    speed: Float
    sigma_theta: Float  # degrees; NaN when unknown

    @property
    def end(self) -> Float:
        return self.start + self.interval_s


def air_vector(from_deg: Float | float, speed: Float | float) -> tuple[Float, Float]:
    """East and north components (m/s) of the air's motion for wind FROM ``from_deg`` at ``speed``.

    >>> u, v = air_vector(np.array([0.0, 90.0]), np.array([2.0, 1.0]))
    >>> np.round(u, 6).tolist(), np.round(v, 6).tolist()
    ([-0.0, -1.0], [-2.0, -0.0])
    """
    rad = np.radians(from_deg)
    return -np.asarray(speed) * np.sin(rad), -np.asarray(speed) * np.cos(rad)


def sigma_theta_deg(directions: Sequence[float] | Float) -> float:
    """Yamartino's standard deviation of wind directions (degrees); NaN for fewer than two.

    >>> round(sigma_theta_deg([350, 10, 0, 5, 355]), 1), sigma_theta_deg([90])
    (7.1, nan)
    """
    d = np.radians(np.asarray(directions, dtype=float))
    if d.size < 2:
        return float("nan")
    sa, ca = np.sin(d).mean(), np.cos(d).mean()
    eps = np.sqrt(max(0.0, 1.0 - (sa * sa + ca * ca)))
    return float(np.degrees(np.arcsin(min(eps, 1.0)) * (1.0 + (2.0 / np.sqrt(3.0) - 1.0) * eps ** 3)))


def station_from_readings(x: float, y: float, start: Sequence[float], from_deg: Sequence[float],
                          speed: Sequence[float], interval_s: float | Sequence[float],
                          window: int = 15) -> Station:
    """Build a station from paired direction and speed readings; sigma-theta from minute directions.

    For minute data (``interval_s`` 60) sigma-theta is Yamartino's over the last ``window`` minutes
    ending at each reading (readings before it only); for longer intervals it stays unknown (NaN).

    Examples
    --------
    >>> s = station_from_readings(0, 0, [0, 60, 120], [90, 90, 270], [2, 2, 2], 60)
    >>> s.sigma_theta.round(0).tolist()[1:]
    [0.0, 80.0]
    """
    order = np.argsort(np.asarray(start, dtype=float), kind="stable")
    t = np.asarray(start, dtype=float)[order]
    d = np.asarray(from_deg, dtype=float)[order] % 360.0
    s = np.asarray(speed, dtype=float)[order]
    iv = np.broadcast_to(np.asarray(interval_s, dtype=float), t.shape).astype(float)[order]
    # Where minute readings exist, an hourly average over the same hour adds nothing and would make
    # intervals overlap: drop it, so that the intervals follow each other and their ends are sorted.
    fine = t[iv <= 60.0]
    if fine.size and (iv > 60.0).any():
        covered = np.searchsorted(fine, t + iv, side="left") > np.searchsorted(fine, t, side="left")
        keep = (iv <= 60.0) | ~covered
        t, d, s, iv = t[keep], d[keep], s[keep], iv[keep]
    sig = np.full(t.shape, np.nan)
    minute = iv <= 60.0
    if minute.any() and t.size > 1:
        # Rolling Yamartino over the previous `window` readings, vectorised with cumulative sums.
        sn, cs = np.sin(np.radians(d)), np.cos(np.radians(d))
        csn, ccs = np.concatenate([[0.0], np.cumsum(sn)]), np.concatenate([[0.0], np.cumsum(cs)])
        idx = np.arange(t.size)
        lo = np.maximum(0, idx - window + 1)
        n = idx - lo + 1
        sa, ca = (csn[idx + 1] - csn[lo]) / n, (ccs[idx + 1] - ccs[lo]) / n
        eps = np.sqrt(np.clip(1.0 - (sa * sa + ca * ca), 0.0, 1.0))
        yam = np.degrees(np.arcsin(np.minimum(eps, 1.0)) * (1.0 + (2.0 / np.sqrt(3.0) - 1.0) * eps ** 3))
        sig = np.where(minute & (n >= 2), yam, np.nan)
    return Station(float(x), float(y), t, iv, d, s, sig)


@dataclass(frozen=True)
class WindAt:
    """The wind at a set of moments: air motion, speed, sigma-theta and what was known."""

    u: Float
    v: Float
    speed: Float
    sigma_theta: Float  # degrees (default filled in where unknown)
    missing: NDArray[np.bool_]  # no reading close enough in time at any station

    @property
    def calm(self) -> NDArray[np.bool_]:
        return (self.speed < CALM_MS) & ~self.missing

    @property
    def variable(self) -> NDArray[np.bool_]:
        return (self.sigma_theta > VARIABLE_DEG) & ~self.missing


def _one_station(st: Station, times: Float, cutoff: Float) -> tuple[Float, Float, Float, Float, NDArray[np.bool_]]:
    """The reading of one station for each time, using only intervals ended by ``cutoff`` (broadcast).

    The interval containing the moment if it had ended by the cutoff, else the latest that had
    (persistence); missing when that reading is more than ``MAX_GAP_S`` from the moment.
    """
    n = st.start.size
    if n == 0:
        nan = np.full(times.shape, np.nan)
        return nan, nan, nan, nan, np.ones(times.shape, dtype=bool)
    ends = st.end
    known = np.searchsorted(ends, np.broadcast_to(cutoff, times.shape), side="right")
    i = np.minimum(np.searchsorted(st.start, times, side="right") - 1, known - 1)
    none = known == 0
    i = np.clip(i, 0, n - 1)
    gap = np.where(times < st.start[i], st.start[i] - times, np.maximum(0.0, times - ends[i]))
    missing = none | (gap > MAX_GAP_S)
    u, v = air_vector(st.from_deg[i], st.speed[i])
    return u, v, st.speed[i], st.sigma_theta[i], missing


def wind_at(stations: Sequence[Station], x: float | Float, y: float | Float, times: Float, cutoff: float | Float,
            *, nearest_only: bool = False) -> WindAt:
    """The wind at point (x, y) for each time, from readings that ended by ``cutoff`` (no look-ahead).

    ``x``, ``y`` and ``cutoff`` broadcast against ``times``: a matrix of moments (one row per
    complaint) with a column of positions and cutoffs gives every complaint's wind in one call.

    Stations are combined by inverse-distance-squared weights on the wind vector (speed as the
    weighted mean of speeds, so a vector mean of opposing winds does not invent a calm), or the
    nearest station alone with ``nearest_only``.

    Examples
    --------
    >>> st = station_from_readings(0, 0, [0, 3600, 7200], [90, 90, 180], [2, 2, 2], 3600)
    >>> w = wind_at([st], 0, 0, np.array([1000.0, 7300.0]), cutoff=7200)
    >>> np.round(w.u, 3).tolist(), bool(w.missing.any())  # the 02:00 reading is not known at 02:00
    ([-2.0, -2.0], False)
    """
    times = np.asarray(times, dtype=float)
    if not stations:
        nan = np.full(times.shape, np.nan)
        return WindAt(nan, nan, nan, nan, np.ones(times.shape, dtype=bool))
    dist = [np.hypot(s.x - np.asarray(x, dtype=float), s.y - np.asarray(y, dtype=float)) for s in stations]
    order = np.argsort([float(np.mean(d)) for d in dist])[:1] if nearest_only else np.arange(len(stations))
    cutoff = np.asarray(cutoff, dtype=float)
    su = np.zeros(times.shape)
    sv = np.zeros(times.shape)
    ss = np.zeros(times.shape)
    sg = np.zeros(times.shape)
    wsum = np.zeros(times.shape)
    gsum = np.zeros(times.shape)
    for k in order:
        u, v, sp, sig, miss = _one_station(stations[k], times, cutoff)
        w = np.where(miss, 0.0, 1.0 / np.maximum(dist[k], 100.0) ** 2)
        su += np.nan_to_num(u) * w
        sv += np.nan_to_num(v) * w
        ss += np.nan_to_num(sp) * w
        wsum += w
        has = ~np.isnan(sig) & (w > 0)
        sg += np.where(has, np.nan_to_num(sig) * w, 0.0)
        gsum += np.where(has, w, 0.0)
    missing = wsum == 0
    safe = np.where(missing, 1.0, wsum)
    u, v, speed = su / safe, sv / safe, ss / safe
    # Rescale the mean vector to the mean speed: direction from the vectors, strength from speeds.
    norm = np.hypot(u, v)
    scale = np.where(norm > 1e-9, speed / np.where(norm > 1e-9, norm, 1.0), 0.0)
    sigma = np.where(gsum > 0, sg / np.where(gsum > 0, gsum, 1.0), DEFAULT_SIGMA_THETA_DEG)
    # Stations that disagree widen the spread as a variable wind does.
    spread = np.degrees(np.arccos(np.clip(np.where(speed > 0, norm / np.where(speed > 0, speed, 1.0), 1.0), 0, 1)))
    sigma = np.maximum(sigma, spread)
    nan = np.where(missing, np.nan, 1.0)
    return WindAt(u * scale * nan, v * scale * nan, speed * nan, sigma, missing)
