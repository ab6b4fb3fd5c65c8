"""Mann–Kendall trend test and emerging-hotspot classes, vectorised over locations.

Mann–Kendall (Mann 1945, Kendall 1975): S = Σ_{i<j} sign(x_j − x_i); Var(S) with the tie correction
n(n−1)(2n+5) − Σ t(t−1)(2t+5), all over 18; z with the ±1 continuity correction; two-sided normal p.
It is the original test (no autocorrelation correction), the one ArcGIS Pro's Emerging Hot Spot
Analysis applies to each location's series of Gi* z-scores.

The classes follow ArcGIS Pro's "How Emerging Hot Spot Analysis works" (definitions quoted in
docs/analytics.md), hot and cold alike: new, consecutive, intensifying, persistent, diminishing,
sporadic, oscillating, historical, no pattern. "Significant" is a Gi* class of ±1 or stronger
(90 % after the FDR correction) in that time step; the trend test uses α = 0.05.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

TREND_ALPHA = 0.05
PERSISTENT_SHARE = 0.9
PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
            "historical")
PATTERN_LABELS = {
    "new_hot": "新增热点", "consecutive_hot": "连续热点", "intensifying_hot": "加剧热点", "persistent_hot": "持续热点",
    "diminishing_hot": "减弱热点", "sporadic_hot": "零星热点", "oscillating_hot": "振荡热点", "historical_hot": "历史热点",
    "new_cold": "新增冷点", "consecutive_cold": "连续冷点", "intensifying_cold": "加剧冷点", "persistent_cold": "持续冷点",
    "diminishing_cold": "减弱冷点", "sporadic_cold": "零星冷点", "oscillating_cold": "振荡冷点", "historical_cold": "历史冷点",
    "no_pattern": "无模式",
}


def _erfc(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([math.erfc(v) for v in values.ravel()]).reshape(values.shape)


def mann_kendall(series: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mann–Kendall z and two-sided p for each row of ``series`` (locations × time steps).

    Examples
    --------
    >>> z, p = mann_kendall(np.array([[1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5.0, 5, 5, 5, 5, 5, 5, 5, 5, 5]]))
    >>> round(float(z[0]), 3), round(float(p[0]), 5), float(p[1])
    (3.935, 8e-05, 1.0)
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n = x.shape[1]
    if n < 3:
        return np.zeros(len(x)), np.ones(len(x))
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    var = np.full(len(x), n * (n - 1) * (2 * n + 5), dtype=float)
    for row in range(len(x)):  # tie correction, per row (few time steps, cheap)
        _, counts = np.unique(x[row], return_counts=True)
        ties = counts[counts > 1]
        var[row] -= float((ties * (ties - 1) * (2 * ties + 5)).sum())
    var /= 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    z = np.nan_to_num(z)
    p = _erfc(np.abs(z) / math.sqrt(2))
    return z, p


def emerging_classes(gi_classes: NDArray[np.int_], gi_z: NDArray[np.float64]) -> list[str]:
    """One pattern per location from its Gi* classes and z-scores per time step (oldest first).

    Examples
    --------
    >>> emerging_classes(np.array([[0, 0, 0, 2], [2, 2, 2, 2], [2, 0, 2, 0], [0, 0, 0, 0]]), np.zeros((4, 4)))
    ['new_hot', 'persistent_hot', 'sporadic_hot', 'no_pattern']
    """
    classes = np.asarray(gi_classes)
    trend_z, trend_p = mann_kendall(np.asarray(gi_z, dtype=float))
    out = []
    for row, z_trend, p_trend in zip(classes, trend_z, trend_p, strict=True):
        out.append(_classify(row, float(z_trend), float(p_trend)))
    return out


def _classify(row: NDArray[np.int_], z_trend: float, p_trend: float) -> str:
    for sign, kind in ((1, "hot"), (-1, "cold")):
        hits = (row * sign) >= 1
        opposite = (row * sign) <= -1
        n, count, last = len(row), int(hits.sum()), bool(hits[-1])
        share = count / n
        if count == 0:
            continue
        # intensity rising for a hot spot means z rising; for a cold spot z falling
        rising = p_trend < TREND_ALPHA and z_trend * sign > 0
        falling = p_trend < TREND_ALPHA and z_trend * sign < 0
        if last and count == 1:
            return f"new_{kind}"
        if share >= PERSISTENT_SHARE and last:
            if rising:
                return f"intensifying_{kind}"
            if falling:
                return f"diminishing_{kind}"
            return f"persistent_{kind}"
        if share >= PERSISTENT_SHARE and not last:
            return f"historical_{kind}"
        if last:
            run = 0
            for hit in hits[::-1]:
                if not hit:
                    break
                run += 1
            if run == count and run >= 2:
                return f"consecutive_{kind}"
            if opposite.any():
                return f"oscillating_{kind}"
            return f"sporadic_{kind}"
        if not opposite.any():  # on again, off again, never the opposite kind
            return f"sporadic_{kind}"
    return "no_pattern"
