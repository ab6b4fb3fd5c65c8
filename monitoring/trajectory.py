"""Back-trajectories: where the air at a complaint came from, hour by hour, and how sure we are.

Starting at the complaint, step backwards in time, each step moving against the wind measured at
that moment (so the path bends where the wind turned). The lateral uncertainty grows with the
distance travelled times the wind's direction spread (sigma-theta), and grows fast in calm air
(< 0.5 m/s: the vane means nothing and the air drifts any way) and where no wind was measured.
Only readings that ended before the complaint are used (``wind.wind_at`` with the complaint time
as the cutoff).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from monitoring.wind import Station, wind_at

Float = NDArray[np.float64]
STEP_S = 600.0
HORIZON_H = 12.0
CALM_DRIFT_MS = 0.5  # how fast calm air may wander in an unknown direction
MISSING_DRIFT_MS = 1.5  # no wind measured at all: a typical speed in an unknown direction
BASE_SIGMA_DEG = 10.0  # a station's direction error and its distance from the path


@dataclass(frozen=True)
class Trajectory:
    """Positions back in time from a complaint (index 0 = the complaint), with uncertainty."""

    x: Float
    y: Float
    age_s: Float  # seconds before the complaint
    sigma_m: Float  # lateral uncertainty (one standard deviation), metres
    calm: NDArray[np.bool_]
    variable: NDArray[np.bool_]
    missing: NDArray[np.bool_]

    @property
    def reach_m(self) -> float:
        """Farthest straight-line distance from the complaint the path gets."""
        return float(np.hypot(self.x - self.x[0], self.y - self.y[0]).max())


def back_trajectory(stations: Sequence[Station], x0: float, y0: float, t0: float, *,
                    horizon_h: float = HORIZON_H, step_s: float = STEP_S) -> Trajectory:
    """Integrate the path of the air that reached (x0, y0) at epoch ``t0`` backwards.

    The wind at each step is the one at the complaint's representative stations (inverse-distance
    weighted); a single field over the city is the honest limit of a few met stations.

    Examples
    --------
    Wind from the east at 2 m/s for three hours, then from the north: the air came from the north
    for the last hour and from the east before it, so the path first goes north, then bends east.

    >>> from monitoring.wind import station_from_readings
    >>> st = station_from_readings(0, 0, [0, 3600, 7200, 10800], [90, 90, 90, 0], [2, 2, 2, 2], 3600)
    >>> tr = back_trajectory([st], 0, 0, 14400, horizon_h=2, step_s=600)
    >>> round(float(tr.x[6])), round(float(tr.y[6]))
    (0, 7200)
    >>> round(float(tr.x[-1])), round(float(tr.y[-1]))
    (7200, 7200)
    """
    return back_trajectories(stations, np.array([x0]), np.array([y0]), np.array([t0]), horizon_h=horizon_h,
                             step_s=step_s)[0]


def back_trajectories(stations: Sequence[Station], x0: Float, y0: Float, t0: Float, *,
                      horizon_h: float = HORIZON_H, step_s: float = STEP_S) -> list[Trajectory]:
    """:func:`back_trajectory` for many complaints at once (one row of steps per complaint)."""
    x0 = np.asarray(x0, dtype=float)[:, None]
    y0 = np.asarray(y0, dtype=float)[:, None]
    t0 = np.asarray(t0, dtype=float)[:, None]
    n = int(round(horizon_h * 3600.0 / step_s))
    # The wind over each step [t0 - (k+1) dt, t0 - k dt], sampled at the step's midpoint.
    mids = (t0 - (np.arange(n)[None, :] + 0.5) * step_s).astype(np.float64)
    w = wind_at(stations, x0, y0, mids, cutoff=t0)
    still = w.missing | w.calm
    u = np.where(still, 0.0, np.nan_to_num(w.u))
    v = np.where(still, 0.0, np.nan_to_num(w.v))
    zero = np.zeros((x0.shape[0], 1))
    dx = np.concatenate([zero, np.cumsum(-u * step_s, axis=1)], axis=1)
    dy = np.concatenate([zero, np.cumsum(-v * step_s, axis=1)], axis=1)
    # Lateral variance grows with each step: along-wind distance times the direction spread, plus
    # drift while calm or unmeasured.
    travelled = np.where(still, 0.0, np.nan_to_num(w.speed)) * step_s
    sig_rad = np.radians(np.hypot(np.nan_to_num(w.sigma_theta, nan=BASE_SIGMA_DEG), BASE_SIGMA_DEG))
    drift = np.where(w.missing, MISSING_DRIFT_MS, np.where(w.calm, CALM_DRIFT_MS, 0.0)) * step_s
    # Direction errors persist for hours (the same weather), so lateral errors add linearly along
    # the path; so does calm drift (stagnant air creeps one way for a while, we do not know which).
    lateral = np.concatenate([zero, np.cumsum(travelled * np.tan(np.minimum(sig_rad, 1.2)), axis=1)], axis=1)
    diffuse = np.concatenate([zero, np.cumsum(drift, axis=1)], axis=1)
    sigma = np.hypot(lateral, diffuse) + 50.0
    no = np.zeros((x0.shape[0], 1), dtype=bool)
    calm = np.concatenate([no, w.calm], axis=1)
    variable = np.concatenate([no, w.variable], axis=1)
    missing = np.concatenate([no, w.missing], axis=1)
    age = (np.arange(n + 1) * step_s).astype(np.float64)
    return [Trajectory(x0[i, 0] + dx[i], y0[i, 0] + dy[i], age, sigma[i], calm[i], variable[i], missing[i])
            for i in range(x0.shape[0])]


@dataclass(frozen=True)
class Crossings:
    """Where one back-trajectory passes each candidate's distance from the complaint (arrays by candidate)."""

    offset_deg: Float  # signed angle from the path to the candidate, seen from the complaint
    sigma_deg: Float  # angular uncertainty of the path there
    age_s: Float  # travel time from the candidate to the complaint
    reached: NDArray[np.bool_]  # the path got that far within its horizon
    shortfall_m: Float  # how far short of the candidate the path stopped (0 when reached)
    distance_m: Float  # straight-line distance complaint -> candidate


def crossings(tr: Trajectory, cx: Float, cy: Float) -> Crossings:
    """For each candidate, the best crossing of the path at the candidate's distance.

    The path is read at the candidate's radial distance (the first segment that crosses it, or
    the best of several when the wind turned back); the offset is the angle between the path's
    point there and the candidate. A distance is never a bonus: both plants on one bearing get
    the same angle. Beyond the path's reach the last point stands in, with the shortfall.

    Examples
    --------
    >>> tr = Trajectory(np.array([0., 0, 0]), np.array([0., 1000, 2000]), np.array([0., 600, 1200]),
    ...                 np.array([50., 150, 250]), *(np.zeros(3, bool),) * 3)
    >>> c = crossings(tr, np.array([0., 100., 0.]), np.array([1500., 1500., 5000.]))
    >>> np.round(c.offset_deg).tolist(), np.round(c.age_s).tolist(), c.reached.tolist(), c.shortfall_m.tolist()
    ([0.0, 4.0, 0.0], [900.0, 902.0, 1200.0], [True, True, False], [0.0, 0.0, 3000.0])
    """
    many = crossings_many([tr], cx, cy)
    return Crossings(*(getattr(many, f)[0] for f in ("offset_deg", "sigma_deg", "age_s", "reached", "shortfall_m",
                                                     "distance_m")))


def crossings_many(trs: Sequence[Trajectory], cx: Float, cy: Float) -> Crossings:
    """:func:`crossings` for many paths of equal length: arrays of (paths, candidates).

    Every segment of every path is tested against every candidate's distance, but only the
    segments that cross one are interpolated (a few per pair); a path that turned back may cross a
    distance several times, and the likeliest crossing is kept.
    """
    cx = np.atleast_1d(np.asarray(cx, dtype=float))
    cy = np.atleast_1d(np.asarray(cy, dtype=float))
    off, sig, age, reached, short, dist = _searched_crossings(trs, cx, cy)
    return Crossings(off, sig, age, reached.astype(bool), short, dist)


def _searched_crossings(trs: Sequence[Trajectory], cx: Float, cy: Float, block: int = 16) -> tuple[Float, ...]:
    """The arrays of :func:`crossings_many` (``block`` paths at a time while finding the crossing segments)."""
    px = np.array([t.x - t.x[0] for t in trs])  # (paths, points)
    py = np.array([t.y - t.y[0] for t in trs])
    sg = np.array([t.sigma_m for t in trs])
    ag = np.array([t.age_s for t in trs])
    x0 = np.array([t.x[0] for t in trs])[:, None]
    y0 = np.array([t.y[0] for t in trs])[:, None]
    r = np.hypot(px, py)
    rc = np.hypot(cx[None, :] - x0, cy[None, :] - y0)  # (paths, candidates)
    ac = np.arctan2(cx[None, :] - x0, cy[None, :] - y0)
    hits = []
    for a in range(0, len(trs), block):
        r0, r1 = r[a:a + block, None, :-1], r[a:a + block, None, 1:]
        rcc = rc[a:a + block, :, None]
        i, j, k = np.nonzero(((r0 - rcc) * (r1 - rcc) <= 0) & (r1 != r0))
        hits.append((i + a, j, k))
    ii, jj, kk = (np.concatenate([h[n] for h in hits]) for n in range(3))
    frac = np.clip((rc[ii, jj] - r[ii, kk]) / (r[ii, kk + 1] - r[ii, kk]), 0.0, 1.0)
    xs = px[ii, kk] + frac * (px[ii, kk + 1] - px[ii, kk])
    ys = py[ii, kk] + frac * (py[ii, kk + 1] - py[ii, kk])
    sig = sg[ii, kk] + frac * (sg[ii, kk + 1] - sg[ii, kk])
    age = ag[ii, kk] + frac * (ag[ii, kk + 1] - ag[ii, kk])
    off = (ac[ii, jj] - np.arctan2(xs, ys) + np.pi) % (2 * np.pi) - np.pi
    sig_ang = np.maximum(np.arctan2(sig, np.maximum(rc[ii, jj], 1.0)), 1e-6)
    z = (off / sig_ang) ** 2 + 2 * np.log(sig_ang)
    # The likeliest crossing of each (path, candidate): sort by pair then z, keep the first of each pair.
    pair = ii * rc.shape[1] + jj
    order = np.lexsort((z, pair))
    first = order[np.concatenate([[True], np.diff(pair[order]) != 0])] if order.size else order
    reached = np.zeros(rc.shape, dtype=bool)
    best_off, best_sig, best_age = (np.zeros(rc.shape) for _ in range(3))
    reached[ii[first], jj[first]] = True
    best_off[ii[first], jj[first]] = off[first]
    best_sig[ii[first], jj[first]] = sig_ang[first]
    best_age[ii[first], jj[first]] = age[first]
    # Beyond reach: the farthest point of each path stands in for the crossing.
    far = r.argmax(axis=1)
    rows = np.arange(len(trs))
    off_far = (ac - np.arctan2(px[rows, far], py[rows, far])[:, None] + np.pi) % (2 * np.pi) - np.pi
    sig_far = np.arctan2(sg[rows, far][:, None], np.maximum(rc, 1.0))
    return (np.degrees(np.where(reached, best_off, off_far)), np.degrees(np.where(reached, best_sig, sig_far)),
            np.where(reached, best_age, ag[:, -1][:, None]), reached,
            np.where(reached, 0.0, np.maximum(0.0, rc - r.max(axis=1)[:, None])), rc)
