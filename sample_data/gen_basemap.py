"""The sample city's base-map layers: the Yangtze, a lake, main roads, place names (all invented).

Deterministic and drawn from the geometry already built (no random stream of its own, so the other
sample files do not change): the four main roads follow the shared edges of the enforcement grids
(communities and plants keep a 40 m margin inside their grid, so no road crosses one), the river
runs along the city's north-west side and the lake sits in the first gap near its target that
clears every polygon by 60 m. Water is labelled from its polygons. Written to ``areas/basemap.geojson`` (kind = layer).
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString, Point, mapping

from gen_common import geom_to_wgs
from gen_places import CELLS

# main roads on the inner grid edges: (name, [(cell a, cell b), ...]) with a/b as (column, row)
ROADS = [
    ("长江路", [((0, 1), (0, 2)), ((1, 1), (1, 2)), ((2, 1), (2, 2))]),
    ("翠湖路", [((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (2, 1))]),
    ("北京路", [((0, 0), (1, 0)), ((0, 1), (1, 1)), ((0, 2), (1, 2))]),
    ("石城大道", [((1, 0), (2, 0)), ((1, 1), (2, 1)), ((1, 2), (2, 2))]),
]
RIVER_AXIS = [(-11500, -5500), (-9000, 0), (-7400, 4000), (-6300, 7000), (-5400, 9500)]
RIVER_HALF_WIDTH = 650
RIVERSIDE_ROAD_OFFSET = 1000  # 滨江大道, on the land side of the bank
LAKE = ("天井湖", (-1500, -450), (420, 260))  # name, target centre, half axes (m)
PLACES = [  # name, class, position (m)
    ("铜官山", "mountain", (-300, 5000)),
    ("笠帽山", "mountain", (-2600, -3900)),
    ("铜陵站", "station", (2150, -1800)),
    ("市政府", "landmark", (-200, 1600)),
    ("江南产业园", "landmark", (4700, 2900)),
]
CLEARANCE = 60.0


def _shared_edge(a, b):
    line = shapely.line_merge(shapely.intersection(a.boundary, b.boundary))
    assert line.geom_type == "LineString", line.geom_type
    return line


def roads(grids) -> list[tuple[str, LineString]]:
    """The main roads, each the union of the grid edges it follows, as one line."""
    by_cell = {cell: next(g.geom for g in grids if int(g.code[-2:]) == num) for cell, (num, _) in CELLS.items()}
    out = []
    for name, pairs in ROADS:
        merged = shapely.line_merge(shapely.union_all([_shared_edge(by_cell[a], by_cell[b]) for a, b in pairs]))
        assert merged.geom_type == "LineString", (name, merged.geom_type)
        out.append((name, merged))
    return out


def river():
    """The Yangtze as a water polygon and its land-side riverside road."""
    axis = LineString(RIVER_AXIS)
    water = axis.buffer(RIVER_HALF_WIDTH, quad_segs=8)
    bank_road = axis.offset_curve(-RIVERSIDE_ROAD_OFFSET, quad_segs=8)  # negative: the right side, the city's
    return water, bank_road


def lake(blocked):
    """An ellipse at the first spot near the target that clears every polygon."""
    name, (cx, cy), (rx, ry) = LAKE
    shape = shapely.affinity.scale(Point(0, 0).buffer(1.0, quad_segs=16), rx, ry)
    for r in range(0, 1501, 50):
        for a in range(0, 360, 30) if r else [0]:
            cand = shapely.affinity.translate(shape, cx + r * np.cos(np.radians(a)), cy + r * np.sin(np.radians(a)))
            if not cand.buffer(CLEARANCE).intersects(blocked):
                return name, cand
    raise RuntimeError("no room for the lake")


def _feature(kind, name, geom, **props):
    g = mapping(geom_to_wgs(geom))
    coords = np.asarray(g["coordinates"], dtype=float).tolist() if g["type"] != "Polygon" else [
        np.asarray(ring, dtype=float).tolist() for ring in g["coordinates"]]
    return {"type": "Feature", "properties": {"name": name, "kind": kind, **props},
            "geometry": {"type": g["type"], "coordinates": coords}}


def basemap_features(grids, communities, enterprises) -> list[dict]:
    """Every base-map feature as GeoJSON (WGS-84), checked against the polygons it must not cross."""
    blocked = shapely.union_all([a.geom for a in communities + enterprises])
    water, bank_road = river()
    lake_name, lake_geom = lake(blocked)
    main_roads = roads(grids)
    for name, geom in [("长江", water), ("滨江大道", bank_road), (lake_name, lake_geom), *main_roads]:
        assert not geom.buffer(CLEARANCE / 2).intersects(blocked), f"{name} crosses a community or plant"
    feats = [
        _feature("water", "长江", water, **{"class": "river"}),
        _feature("water", lake_name, lake_geom, **{"class": "lake"}),
        _feature("road", "滨江大道", bank_road, **{"class": "main"}),
    ]
    feats += [_feature("road", name, geom, **{"class": "main"}) for name, geom in main_roads]
    feats += [_feature("place", name, Point(xy), **{"class": cls}) for name, cls, xy in PLACES]
    return feats
