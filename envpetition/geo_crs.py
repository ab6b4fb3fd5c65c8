"""Coordinate systems of complaint points: WGS-84, GCJ-02 (Amap/Tencent), BD-09 (Baidu), any EPSG.

Everything is stored in WGS-84 (EPSG:4326). GCJ-02 and BD-09 are obfuscations with a published
forward formula (WGS-84 → GCJ-02 → BD-09) but no closed inverse; :func:`to_wgs84` inverts the
forward formula by fixed-point iteration until the round trip agrees to 1e-9 degrees (≈ 0.1 mm),
well under the 1 m the bureau asked for. All functions are vectorised over numpy arrays.

Distances are measured in one metric projection chosen from the city's own extent
(:func:`metric_crs_for`): the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest
the middle of the areas (EPSG:4534-4554, 75°E-135°E), or the UTM zone outside that range; the
``ENVPETITION_METRIC_CRS`` setting overrides it. Within 1.5° of the central meridian the scale error
is below 3e-4 (Tongling, 117.8°E, gets EPSG:4548, central meridian 117°E).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"

# Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

# Mainland China, Hainan and the South China Sea islands, generously.
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)

_ALIASES = {
    "": WGS84, "wgs84": WGS84, "wgs-84": WGS84, "wgs 84": WGS84, "epsg:4326": WGS84, "4326": WGS84,
    "gps": WGS84, "cgcs2000": WGS84, "epsg:4490": WGS84,
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj": GCJ02, "火星坐标": GCJ02, "高德": GCJ02, "腾讯": GCJ02,
    "amap": GCJ02, "国测局": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd09ll": BD09, "baidu": BD09, "百度": BD09,
}
_EPSG = re.compile(r"^(?:epsg:)?(\d{4,6})$")

Float = NDArray[np.float64]


class UnknownCRS(ValueError):
    """A coordinate system name we cannot interpret."""


def parse_crs(name: str | None) -> str:
    """Normalise a CRS name to 'wgs84', 'gcj02', 'bd09' or 'EPSG:n'; blank means WGS-84.

    >>> parse_crs("GCJ-02"), parse_crs(None), parse_crs("epsg:4547")
    ('gcj02', 'wgs84', 'EPSG:4547')
    """
    key = (name or "").strip().lower().replace("_", "")
    if key in _ALIASES:
        return _ALIASES[key]
    match = _EPSG.match(key)
    if match:
        code = int(match.group(1))
        try:
            pyproj.CRS.from_epsg(code)
        except pyproj.exceptions.CRSError as exc:
            raise UnknownCRS(f"unknown CRS EPSG:{code}") from exc
        return WGS84 if code in (4326, 4490) else f"EPSG:{code}"
    raise UnknownCRS(f"unknown CRS {name!r}; use WGS84, GCJ02, BD09 or EPSG:n")


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the point lies in the (generous) bounding box of China."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    return (x >= min_lon) & (x <= max_lon) & (y >= min_lat) & (y <= max_lat)


def _offset(x: Float, y: Float) -> tuple[Float, Float]:
    """The GCJ-02 shift (degrees) at WGS-84 point (x, y)."""
    dx, dy = x - 105.0, y - 35.0
    sq = np.sqrt(np.abs(dx))
    t_lat = (-100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * sq
             + (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(dy / 12.0 * np.pi) + 320 * np.sin(dy * np.pi / 30.0)) * 2.0 / 3.0)
    t_lon = (300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * sq
             + (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = y / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Forward GCJ-02 obfuscation (the published formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(x, y)
    return x + d_lon, y + d_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Forward BD-09 from GCJ-02 (Baidu's published formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Forward BD-09 from WGS-84."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward: Any, lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 30) -> tuple[Float, Float]:
    """Solve forward(p) = q for p by fixed-point iteration (forward is identity plus a slow shift)."""
    qx, qy = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    px, py = qx.copy(), qy.copy()
    for _ in range(max_iter):
        fx, fy = forward(px, py)
        ex, ey = fx - qx, fy - qy
        px, py = px - ex, py - ey
        if np.all(np.abs(ex) < tol) and np.all(np.abs(ey) < tol):
            break
    return px, py


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Exact (iterative) inverse of :func:`wgs84_to_gcj02`."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Exact (iterative) inverse of :func:`wgs84_to_bd09`."""
    return _invert(wgs84_to_bd09, lon, lat)


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[Float, Float]:
    """Convert points in ``crs`` (as :func:`parse_crs` returns it) to WGS-84 lon/lat.

    Parameters
    ----------
    x, y : array-like
        Longitudes/latitudes (or eastings/northings for a projected EPSG code).
    crs : str
        'wgs84', 'gcj02', 'bd09' or 'EPSG:n'.

    Examples
    --------
    >>> lon, lat = to_wgs84([117.8166], [30.9451], "gcj02")
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)
    (117.8113, 30.9474)
    """
    crs = parse_crs(crs)
    if crs == WGS84:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if crs == GCJ02:
        return gcj02_to_wgs84(x, y)
    if crs == BD09:
        return bd09_to_wgs84(x, y)
    lon, lat = _transformer(crs, "EPSG:4326").transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


# CGCS2000 / 3-degree Gauss-Kruger CM 75E is EPSG:4534, and every 3 degrees east one more, to CM 135E (EPSG:4554).
_GK_FIRST_EPSG, _GK_FIRST_CM, _GK_LAST_CM = 4534, 75, 135


def metric_crs_for(lons: ArrayLike, *, override: str | None = None) -> str:
    """Choose the metric CRS for a city spanning these longitudes (WGS-84 degrees).

    Parameters
    ----------
    lons : array-like of float
        Longitudes of the city's areas (their bounds are enough).
    override : str, optional
        A CRS to use instead (the ``metric_crs`` setting); default: the ``ENVPETITION_METRIC_CRS`` setting.

    Returns
    -------
    str
        ``EPSG:45xx``, the 3° Gauss-Krüger zone whose central meridian is nearest the middle of the
        extent, or ``EPSG:326xx`` (UTM north) outside 73.5°E-136.5°E; the override when one is set.

    Examples
    --------
    >>> metric_crs_for([117.70, 117.95], override="")  # Tongling
    'EPSG:4548'
    >>> metric_crs_for([87.3, 87.9], override="")  # Urumqi
    'EPSG:4538'
    """
    if override is None:
        from envpetition.settings import Settings

        override = Settings().metric_crs
    if override:
        return override
    values = np.asarray(lons, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no longitude to choose a metric projection from")
    middle = (float(values.min()) + float(values.max())) / 2
    cm = 3 * round(middle / 3)
    if _GK_FIRST_CM <= cm <= _GK_LAST_CM:
        return f"EPSG:{_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3}"
    return f"EPSG:{32600 + int((middle + 180) // 6) % 60 + 1}"


def to_metric(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[Float, Float]:
    """Project WGS-84 lon/lat to metres in ``crs`` (see :func:`metric_crs_for`)."""
    e, n = _transformer("EPSG:4326", crs).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(e, dtype=float), np.asarray(n, dtype=float)


def to_metric_geoms(geoms: Any, crs: str) -> Any:
    """Project WGS-84 shapely geometries (scalar or array) to metres in ``crs``."""
    import shapely

    transformer = _transformer("EPSG:4326", crs)
    return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def distance_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Float:
    """Distance in metres between WGS-84 points, in the metric CRS chosen from the points' own extent.

    Examples
    --------
    >>> round(float(distance_m(117.80, 30.90, 117.81, 30.90)))
    956
    """
    crs = metric_crs_for(np.concatenate([np.atleast_1d(np.asarray(lon1, dtype=float)),
                                         np.atleast_1d(np.asarray(lon2, dtype=float))]))
    x1, y1 = to_metric(lon1, lat1, crs)
    x2, y2 = to_metric(lon2, lat2, crs)
    return np.asarray(np.hypot(x1 - x2, y1 - y2), dtype=float)
