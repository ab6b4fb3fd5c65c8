"""Gaussian plume geometry with Pasquill–Gifford stability classes (Briggs' rural sigmas).

The emission rate of a plant is unknown, so the trace uses the plume's shape: how wide it is at a
distance, under the stability the wind speed and the time of day give. A receptor at downwind
distance ``x`` and crosswind offset ``y`` lies inside the plume by ``exp(-y^2 / 2 sigma_y(x)^2)``
(1 on the axis), and not at all upwind of the source.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Float = NDArray[np.float64]
CLASSES = "ABCDEF"
# Briggs (1973) open-country coefficients: sigma_y = a x (1 + 1e-4 x)^-1/2.
_SY = {"A": 0.22, "B": 0.16, "C": 0.11, "D": 0.08, "E": 0.06, "F": 0.04}


def stability_class(speed_ms: float, local_hour: float) -> str:
    """Pasquill–Gifford class from the 10 m wind speed and the local hour (Turner's table).

    Day: strong insolation 10–15 h, moderate 8–10 and 15–17 h, slight otherwise in daylight
    (07–19 h). Night: clear sky is assumed (the stable case, where odour travels farthest).

    >>> [stability_class(1.0, 13), stability_class(4.0, 13), stability_class(1.0, 2), stability_class(7.0, 2)]
    ['A', 'B', 'F', 'D']
    """
    u = max(float(speed_ms), 0.0)
    h = float(local_hour) % 24.0
    if 7.0 <= h < 19.0:
        column = 0 if 10.0 <= h < 15.0 else 1 if (8.0 <= h < 10.0 or 15.0 <= h < 17.0) else 2
        table = [("A", "A", "B"), ("A", "B", "C"), ("B", "B", "C"), ("C", "C", "D"), ("C", "D", "D")]
        row = 0 if u < 2 else 1 if u < 3 else 2 if u < 5 else 3 if u < 6 else 4
        return table[row][column]
    return "F" if u < 3 else "E" if u < 5 else "D"


def sigma_y(x_m: ArrayLike, cls: str) -> Float:
    """Crosswind spread (m) at downwind distance ``x_m`` for a class (0 at or behind the source).

    >>> np.round(sigma_y([1000.0, 10000.0], "D")).tolist()
    [76.0, 566.0]
    """
    x = np.maximum(np.asarray(x_m, dtype=float), 0.0)
    return np.asarray(_SY[cls] * x / np.sqrt(1.0 + 1e-4 * x), dtype=float)


def coverage(x_m: ArrayLike, y_m: ArrayLike, cls: str, meander_deg: float = 0.0) -> Float:
    """How far inside the plume each receptor lies: 1 on the axis, 0 upwind.

    Hour-scale meander of the wind widens the plume by ``x * tan(meander)`` (added in quadrature).

    Examples
    --------
    >>> np.round(coverage([5000, 5000, 5000, -100], [0, 300, 1500, 0], "D"), 2).tolist()
    [1.0, 0.7, 0.0, 0.0]
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    sy = np.hypot(sigma_y(x, cls), np.maximum(x, 0.0) * np.tan(np.radians(meander_deg))) + 30.0
    return np.where(x > 0, np.exp(-0.5 * (y / sy) ** 2), 0.0)


def outline(x0: float, y0: float, toward_deg: float, length_m: float, cls: str, meander_deg: float = 0.0,
            n: int = 24) -> tuple[Float, Float]:
    """Polygon (x, y) of the plume's 2-sigma edge from (x0, y0) toward a bearing, for the map."""
    xs = np.linspace(0.0, length_m, n)
    half = 2.0 * (np.hypot(sigma_y(xs, cls), xs * np.tan(np.radians(meander_deg))) + 30.0)
    along = np.concatenate([xs, xs[::-1], xs[:1]])
    across = np.concatenate([half, -half[::-1], half[:1]])
    b = np.radians(toward_deg)
    ex, ey = np.sin(b), np.cos(b)  # unit vector downwind
    return x0 + along * ex + across * ey, y0 + along * ey - across * ex
