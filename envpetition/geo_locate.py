"""Which community, enterprise, grid and district covers a point, and what is near it.

Vectorised with shapely 2: an STRtree over each kind's polygons gives bounding-box candidates for
all points at once, then ``shapely.intersects_xy`` on *prepared* polygons settles them (for a point,
"intersects" is exactly "covered by", so a point on a boundary counts as inside — MapIt #432).
Distances (nearby enterprises, near-boundary flag) are measured in metres in the city's projection
(:func:`envpetition.geo_crs.metric_crs_for` over the areas' extent). Where polygons of one kind overlap, the smallest wins.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from envpetition.areas import Area
from envpetition.geo_crs import metric_crs_for, to_metric, to_metric_geoms

DEFAULT_NEARBY_RADIUS_M = 1000.0
DEFAULT_BOUNDARY_M = 20.0
CHUNK = 100_000
# GEOS prepared geometries are not thread-safe (libgeos/geos#825): the bench crashed with heap
# corruption when chunks shared them across a thread pool. Every use goes through this lock, since
# the web app locates on several request threads with one cached Locator.
_PREPARED_LOCK = threading.Lock()

IntArray = NDArray[np.int64]


def _covering(tree: shapely.STRtree, polygons: Any, sizes: NDArray[np.float64],
              x: NDArray[np.float64], y: NDArray[np.float64]) -> IntArray:
    result = np.full(len(x), -1, dtype=np.int64)
    point_idx, poly_idx = tree.query(shapely.points(x, y))
    hit = shapely.intersects_xy(polygons[poly_idx], x[point_idx], y[point_idx])
    point_idx, poly_idx = point_idx[hit], poly_idx[hit]
    if len(point_idx) == 0:
        return result
    # Largest first so that, written in order, the smallest covering polygon is written last.
    order = np.lexsort((-sizes[poly_idx], point_idx))
    result[point_idx[order]] = poly_idx[order]
    return result


def points_in_polygons(tree: shapely.STRtree, polygons: Any, sizes: NDArray[np.float64],
                       x: NDArray[np.float64], y: NDArray[np.float64], *, chunk: int = CHUNK) -> IntArray:
    """Index of the smallest polygon covering each point, -1 where none does.

    ``polygons`` must be prepared (``shapely.prepare``); ``tree`` is an STRtree over them;
    ``sizes`` their areas. Large inputs are cut into chunks and shared among one thread per core,
    each with its own copy of the polygons (prepared geometries are not thread-safe).

    Examples
    --------
    >>> square = shapely.box(0, 0, 1, 1); polys = np.array([square]); shapely.prepare(polys)
    >>> points_in_polygons(shapely.STRtree(polys), polys, np.array([1.0]), np.array([0.5, 1.0, 2.0]), np.array([0.5, 0.5, 0.5]))
    array([ 0,  0, -1])
    """
    if len(polygons) == 0 or len(x) == 0:
        return np.full(len(x), -1, dtype=np.int64)
    starts = range(0, len(x), chunk)
    workers = min(os.cpu_count() or 1, len(starts))
    if workers < 2:
        with _PREPARED_LOCK:
            return np.concatenate([_covering(tree, polygons, sizes, x[i:i + chunk], y[i:i + chunk]) for i in starts])
    # Each thread gets polygons (and a tree) of its own: GEOS releases the GIL, so the cores share the
    # work, and no prepared geometry is ever touched by two threads.
    copies = [shapely.from_wkb(shapely.to_wkb(polygons)) for _ in range(workers)]

    def run(worker: int) -> list[tuple[int, IntArray]]:
        own = copies[worker]
        shapely.prepare(own)
        own_tree = shapely.STRtree(own)
        return [(i, _covering(own_tree, own, sizes, x[i:i + chunk], y[i:i + chunk])) for i in starts[worker::workers]]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = [part for parts in pool.map(run, range(workers)) for part in parts]
    return np.concatenate([part for _, part in sorted(done, key=lambda p: p[0])])


@dataclass
class KindIndex:
    """The current polygons of one kind, in WGS-84 and in metres, with their trees."""

    areas: list[Area]
    geoms: Any
    tree: shapely.STRtree
    sizes: NDArray[np.float64]
    metric: Any
    metric_tree: shapely.STRtree
    boundaries: Any
    boundary_tree: shapely.STRtree

    @classmethod
    def build(cls, areas: Sequence[Area], crs: str) -> KindIndex:
        geoms = np.array([a.geom for a in areas], dtype=object)
        shapely.prepare(geoms)
        metric = to_metric_geoms(geoms, crs) if len(geoms) else geoms
        boundaries = shapely.boundary(metric) if len(geoms) else geoms
        return cls(list(areas), geoms, shapely.STRtree(geoms), shapely.area(geoms).astype(float) if len(geoms) else np.zeros(0),
                   metric, shapely.STRtree(metric), boundaries, shapely.STRtree(boundaries))


@dataclass
class Nearby:
    area_id: int | None
    name: str
    distance_m: float


@dataclass
class Location:
    """Where one point is. Ids are area ids (None when no polygon covers the point)."""

    lon: float
    lat: float
    community_id: int | None = None
    community: str | None = None
    enterprise_id: int | None = None
    enterprise: str | None = None
    grid_id: int | None = None
    grid: str | None = None
    district_id: int | None = None
    district: str | None = None
    team: str | None = None
    near_boundary: bool = False
    nearby_enterprises: list[Nearby] = field(default_factory=list)
    x: float = 0.0  # metres in the locator's ``crs``
    y: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "lon": round(self.lon, 7), "lat": round(self.lat, 7),
            "community": self.community, "community_id": self.community_id,
            "enterprise": self.enterprise, "enterprise_id": self.enterprise_id,
            "grid": self.grid, "grid_id": self.grid_id, "district": self.district, "district_id": self.district_id,
            "team": self.team, "near_boundary": self.near_boundary,
            "nearby_enterprises": [{"name": n.name, "id": n.area_id, "distance_m": round(n.distance_m, 1)}
                                   for n in self.nearby_enterprises],
        }


class Locator:
    """Locate many WGS-84 points at once against the city's current areas.

    Parameters
    ----------
    areas : sequence of Area
        Current communities, enterprises, grids and districts (``envpetition.areas.current_areas``).
    nearby_radius_m : float
        Enterprises within this distance (metres) are listed as nearby (default 1 km).
    boundary_m : float
        A point within this distance of a community or grid boundary is flagged ``near_boundary``.
    crs : str, optional
        Metric CRS of every distance; default chosen from the areas' extent (``metric_crs_for``).

    Examples
    --------
    >>> from envpetition.areas import Area
    >>> loc = Locator([Area("community", "东湖小区", shapely.box(117.80, 30.90, 117.81, 30.91), id=1)])
    >>> loc.locate([117.805], [30.905])[0].community
    '东湖小区'
    """

    def __init__(self, areas: Sequence[Area], *, nearby_radius_m: float = DEFAULT_NEARBY_RADIUS_M,
                 boundary_m: float = DEFAULT_BOUNDARY_M, crs: str | None = None) -> None:
        self.nearby_radius_m = nearby_radius_m
        self.boundary_m = boundary_m
        bounds = shapely.bounds(np.array([a.geom for a in areas], dtype=object)) if areas else np.zeros((0, 4))
        # With no areas there is nothing to measure to; any zone serves the points.
        self.crs = crs or (metric_crs_for(bounds[:, [0, 2]].ravel()) if len(bounds) else metric_crs_for([117.0]))
        self.kinds = {kind: KindIndex.build([a for a in areas if a.kind == kind], self.crs)
                      for kind in ("community", "enterprise", "grid", "district")}

    def assign(self, kind: str, lon: ArrayLike, lat: ArrayLike) -> IntArray:
        """Index (into this kind's areas) of the polygon covering each point, -1 where none."""
        index = self.kinds[kind]
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        return points_in_polygons(index.tree, index.geoms, index.sizes, x, y)

    def near_boundary(self, mx: NDArray[np.float64], my: NDArray[np.float64]) -> NDArray[np.bool_]:
        """True where a community or grid boundary lies within ``boundary_m`` metres."""
        flags = np.zeros(len(mx), dtype=bool)
        points = shapely.points(mx, my)
        for kind in ("community", "grid"):
            index = self.kinds[kind]
            if not index.areas:
                continue
            point_idx, _ = index.boundary_tree.query(points, predicate="dwithin", distance=self.boundary_m)
            flags[point_idx] = True
        return flags

    def nearby(self, mx: NDArray[np.float64], my: NDArray[np.float64]) -> list[list[Nearby]]:
        """Enterprises within ``nearby_radius_m`` of each point, nearest first."""
        index = self.kinds["enterprise"]
        found: list[list[Nearby]] = [[] for _ in range(len(mx))]
        if not index.areas or len(mx) == 0:
            return found
        points = shapely.points(mx, my)
        point_idx, ent_idx = index.metric_tree.query(points, predicate="dwithin", distance=self.nearby_radius_m)
        distances = shapely.distance(points[point_idx], index.metric[ent_idx])
        for p, e, d in sorted(zip(point_idx.tolist(), ent_idx.tolist(), distances.tolist(), strict=True),
                              key=lambda t: (t[0], t[2])):
            area = index.areas[e]
            found[p].append(Nearby(area.id, area.name, float(d)))
        return found

    def locate(self, lon: ArrayLike, lat: ArrayLike) -> list[Location]:
        """Full answer for each WGS-84 point (covering areas, nearby enterprises, boundary flag)."""
        x, y = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        hits = {kind: self.assign(kind, x, y) for kind in self.kinds}
        mx, my = to_metric(x, y, self.crs)
        boundary = self.near_boundary(mx, my)
        nearby = self.nearby(mx, my)
        out = []
        for i in range(len(x)):
            loc = Location(lon=float(x[i]), lat=float(y[i]), near_boundary=bool(boundary[i]), nearby_enterprises=nearby[i],
                           x=float(mx[i]), y=float(my[i]))
            for kind in self.kinds:
                j = int(hits[kind][i])
                if j >= 0:
                    area = self.kinds[kind].areas[j]
                    setattr(loc, f"{kind}_id", area.id)
                    setattr(loc, kind, area.name)
                    if kind == "grid":
                        loc.team = area.attributes.get("team")
            out.append(loc)
        return out
