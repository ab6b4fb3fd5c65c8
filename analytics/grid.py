"""A square grid for complaints that fall outside every community, with Gi* on the cell counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from analytics.spatial_stats import GI_CLASS_LABELS, distance_band_weights, fdr_classes, gi_star
from envpetition.geo_crs import to_metric, to_wgs84

MAX_CELLS = 40_000


def grid_statistics(points: list[tuple[Any, ...]], *, cell_m: float, extent: list[Any], crs: str) -> list[dict[str, Any]]:
    """Cells (``cell_m`` square, in the metric ``crs``) over the communities' and points' extent; Gi* on counts.

    Returns the cells that hold a complaint or come out significant, each with its WGS-84 corners.

    Examples
    --------
    >>> cells = grid_statistics([(117.81, 30.94, None)] * 3, cell_m=500, extent=[], crs="EPSG:4548")
    >>> cells[0]["complaints"]
    3
    """
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    if len(lon) == 0:
        return []
    px, py = to_metric(lon, lat, crs)
    xs, ys = [px], [py]
    if extent:
        bounds = np.array([g.bounds for g in extent])
        ex, ey = to_metric(np.r_[bounds[:, 0], bounds[:, 2]], np.r_[bounds[:, 1], bounds[:, 3]], crs)
        xs.append(ex)
        ys.append(ey)
    allx, ally = np.concatenate(xs), np.concatenate(ys)
    x0, y0 = np.floor(allx.min() / cell_m) * cell_m, np.floor(ally.min() / cell_m) * cell_m
    nx = int((allx.max() - x0) // cell_m) + 1
    ny = int((ally.max() - y0) // cell_m) + 1
    while nx * ny > MAX_CELLS:  # a city-wide spread at a small cell size: coarsen rather than explode
        cell_m *= 2
        x0, y0 = np.floor(allx.min() / cell_m) * cell_m, np.floor(ally.min() / cell_m) * cell_m
        nx, ny = int((allx.max() - x0) // cell_m) + 1, int((ally.max() - y0) // cell_m) + 1
    col = ((px - x0) // cell_m).astype(int)
    row = ((py - y0) // cell_m).astype(int)
    counts = np.bincount(row * nx + col, minlength=nx * ny).astype(float)
    cx = x0 + (np.arange(nx * ny) % nx + 0.5) * cell_m
    cy = y0 + (np.arange(nx * ny) // nx + 0.5) * cell_m
    if nx * ny >= 3:
        z, p = gi_star(counts, distance_band_weights(cx, cy, cell_m * 1.5))
    else:
        z, p = np.zeros(nx * ny), np.ones(nx * ny)
    classes = fdr_classes(z, p)
    keep = np.nonzero((counts > 0) | (classes != 0))[0]
    half = cell_m / 2
    corner_x = np.concatenate([cx[keep] - half, cx[keep] + half])
    corner_y = np.concatenate([cy[keep] - half, cy[keep] + half])
    clon, clat = to_wgs84(corner_x, corner_y, crs)
    k = len(keep)
    out = []
    for j, cell in enumerate(keep):
        west, east, south, north = clon[j], clon[k + j], clat[j], clat[k + j]
        out.append({"id": f"{int(cell) // nx}_{int(cell) % nx}", "complaints": int(counts[cell]),
                    "gi_z": round(float(z[cell]), 3), "gi_class": int(classes[cell]),
                    "gi_label": GI_CLASS_LABELS[int(classes[cell])], "cell_m": cell_m,
                    "bounds": [round(float(v), 6) for v in (west, south, east, north)]})
    return out


def cell_geojson(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The cells as a FeatureCollection keyed by cell id."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": c["id"], "properties": {},
         "geometry": shapely.geometry.mapping(shapely.box(*c["bounds"]))} for c in cells]}
