"""Nearest area to points, in metres, in the city's metric projection (``envpetition.geo_crs``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from envpetition.geo_crs import metric_crs_for, to_metric_geoms


def nearest(areas: Sequence[Any], lons: Sequence[float], lats: Sequence[float]) -> list[tuple[int | None, float | None]]:
    """For each point, the id of the nearest area and the distance in metres (0 inside).

    The projection is chosen from the areas' extent (or the ``metric_crs`` setting).

    >>> from envpetition.areas import Area
    >>> square = Area("community", "A", shapely.box(117.80, 30.90, 117.81, 30.91), id=7)
    >>> [(i, round(d)) for i, d in nearest([square], [117.805, 117.805], [30.905, 30.89])]
    [(7, 0), (7, 1109)]
    """
    if not areas:
        return [(None, None)] * len(lons)
    area_geoms = np.array([a.geom for a in areas], dtype=object)
    crs = metric_crs_for(shapely.bounds(area_geoms)[:, [0, 2]].ravel())
    points = to_metric_geoms(shapely.points(np.asarray(lons, float), np.asarray(lats, float)), crs)
    geoms = to_metric_geoms(area_geoms, crs)
    distances = shapely.distance(points[:, None], geoms[None, :])
    best = distances.argmin(axis=1)
    return [(areas[j].id, round(float(distances[i, j]), 1)) for i, j in enumerate(best)]
