"""GCJ-02 (Amap/Tencent) to WGS-84 for walk-navigation rows.

A small local converter: ``envpetition/geo_crs.py`` (ingest) is being written at the same time;
once it is merged this module should delegate to it. The forward transform is the published
GCJ-02 formula; the inverse is iterative (fixed point on the forward transform) and exact to
below 1e-9 degrees (≈ 0.1 mm), unlike the common one-step approximation (≈ 1-2 m off).
"""

from __future__ import annotations

import math

_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Forward GCJ-02 offset (identity outside China)."""
    if _outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-10, max_iter: int = 30) -> tuple[float, float]:
    """Exact inverse of :func:`wgs84_to_gcj02` by fixed-point iteration.

    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(117.8121, 30.9455))
    >>> round(lon, 9), round(lat, 9)
    (117.8121, 30.9455)
    """
    wlon, wlat = lon, lat
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < tolerance and abs(dlat) < tolerance:
            break
    return wlon, wlat


def to_wgs84(lon: float, lat: float, crs: str | None) -> tuple[float, float]:
    """Convert a point given in ``crs`` (WGS-84 / GCJ-02; None means WGS-84) to WGS-84."""
    name = (crs or "WGS-84").upper().replace("_", "-").replace(" ", "")
    if name in ("WGS-84", "WGS84", "EPSG:4326", "4326"):
        return lon, lat
    if name in ("GCJ-02", "GCJ02"):
        return gcj02_to_wgs84(lon, lat)
    raise ValueError(f"unsupported coordinate system {crs!r} (WGS-84 or GCJ-02)")
