"""Nearest area to points, in metres: projected to UTM zone 50N (EPSG:32650), which covers Tongling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

_TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


def to_utm(geom: Any) -> Any:
    """Project WGS-84 geometries (scalar or array) to UTM 50N metres."""
    return shapely.transform(geom, lambda c: np.column_stack(_TO_UTM.transform(c[:, 0], c[:, 1])))


def nearest(areas: Sequence[Any], lons: Sequence[float], lats: Sequence[float]) -> list[tuple[int | None, float | None]]:
    """For each point, the id of the nearest area and the distance in metres (0 inside).

    >>> from envpetition.areas import Area
    >>> square = Area("community", "A", shapely.box(117.80, 30.90, 117.81, 30.91), id=7)
    >>> [(i, round(d)) for i, d in nearest([square], [117.805, 117.805], [30.905, 30.89])]
    [(7, 0), (7, 1108)]
    """
    if not areas:
        return [(None, None)] * len(lons)
    points = to_utm(shapely.points(np.asarray(lons, float), np.asarray(lats, float)))
    geoms = to_utm(np.array([a.geom for a in areas]))
    distances = shapely.distance(points[:, None], geoms[None, :])
    best = distances.argmin(axis=1)
    return [(areas[j].id, round(float(distances[i, j]), 1)) for i, j in enumerate(best)]
