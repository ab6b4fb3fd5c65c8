"""Point in polygon with covers, smallest polygon wins, nearby enterprises, boundary flags."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from envpetition.areas import Area, current_areas
from envpetition.geo_crs import wgs84_to_bd09, wgs84_to_gcj02
from envpetition.geo_locate import Locator, points_in_polygons


def test_point_on_shared_boundary_is_covered_and_flagged(conn, city):
    loc = Locator(current_areas(conn))
    on_edge, = loc.locate([117.81], [30.905])
    assert on_edge.community in ("东湖小区", "阳光花园二期")
    assert on_edge.near_boundary


@pytest.mark.parametrize("lon, lat, community, grid, team, district, near", [
    (117.805, 30.905, "东湖小区", "网格A", "第一执法队", "铜官区", False),
    (117.815, 30.905, "阳光花园二期", "网格A", "第一执法队", "铜官区", False),
    (117.825, 30.905, "阳光花园一期", "网格B", "第二执法队", "铜官区", False),
    (117.8099, 30.905, "东湖小区", "网格A", "第一执法队", "铜官区", True),   # ~10 m from the edge
    (117.8097, 30.905, "东湖小区", "网格A", "第一执法队", "铜官区", False),  # ~29 m: beyond 20 m
    (117.60, 30.95, None, None, None, "郊区", False),
])
def test_locate_table(conn, city, lon, lat, community, grid, team, district, near):
    loc, = Locator(current_areas(conn)).locate([lon], [lat])
    assert (loc.community, loc.grid, loc.team, loc.district) == (community, grid, team, district)
    assert loc.near_boundary is near


def test_nearby_enterprises_within_radius_sorted_by_metric_distance(conn, city):
    loc, = Locator(current_areas(conn)).locate([117.800], [30.905])
    names = [n.name for n in loc.nearby_enterprises]
    assert names == ["华兴化工有限公司"]
    # 0.005 deg of longitude at 30.9 N is ~478 m.
    assert 470 < loc.nearby_enterprises[0].distance_m < 490
    inside, = Locator(current_areas(conn)).locate([117.837], [30.907])
    assert inside.enterprise == "铜陵有色冶炼厂" and inside.nearby_enterprises[0].distance_m == 0


def test_radius_is_configurable(conn, city):
    loc, = Locator(current_areas(conn), nearby_radius_m=400).locate([117.800], [30.905])
    assert loc.nearby_enterprises == []


def test_gcj_and_bd_points_land_in_the_same_community(conn, city):
    from envpetition.geo_crs import to_wgs84

    loc = Locator(current_areas(conn))
    true_lon, true_lat = 117.8155, 30.9052
    for crs, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        raw_lon, raw_lat = forward(true_lon, true_lat)
        wrong, = loc.locate([raw_lon], [raw_lat])
        assert wrong.community != "阳光花园二期"  # unconverted, the point is 500+ m off
        right, = loc.locate(*to_wgs84([raw_lon], [raw_lat], crs))
        assert right.community == "阳光花园二期"


def test_smallest_overlapping_polygon_wins_and_chunks_agree():
    big, small = shapely.box(0, 0, 10, 10), shapely.box(2, 2, 3, 3)
    polys = np.array([small, big])
    shapely.prepare(polys)
    tree = shapely.STRtree(polys)
    x = np.array([2.5, 5.0, 11.0, 10.0] * 50)
    y = np.array([2.5, 5.0, 5.0, 5.0] * 50)
    whole = points_in_polygons(tree, polys, shapely.area(polys), x, y)
    chunked = points_in_polygons(tree, polys, shapely.area(polys), x, y, chunk=7)
    assert whole[:4].tolist() == [0, 1, -1, 1]
    assert (whole == chunked).all()


def test_empty_city_locates_nothing():
    loc, = Locator([Area("community", "x", shapely.box(0, 0, 1, 1), id=1)]).locate([5], [5])
    assert loc.community is None and loc.grid is None and loc.nearby_enterprises == []


def test_hole_and_multipolygon():
    ring = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
    two = shapely.MultiPolygon([shapely.box(20, 0, 21, 1), shapely.box(23, 0, 24, 1)])
    polys = np.array([ring, two])
    shapely.prepare(polys)
    found = points_in_polygons(shapely.STRtree(polys), polys, shapely.area(polys),
                               np.array([5.0, 2.0, 20.5, 23.5, 22.0]), np.array([5.0, 2.0, 0.5, 0.5, 0.5]))
    assert found.tolist() == [-1, 0, 1, 1, -1]


def test_one_locator_shared_by_many_threads_gives_the_same_answers():
    """The web app locates on several request threads with one cached Locator; GEOS prepared
    geometries are not thread-safe (libgeos/geos#825), so the locator serialises their use."""
    import threading

    rng = np.random.default_rng(7)
    boxes = [Area("community", f"c{i}", shapely.box(117.8 + (i % 30) * 0.01, 30.9 + (i // 30) * 0.01,
                                                    117.8 + (i % 30) * 0.01 + 0.008, 30.9 + (i // 30) * 0.01 + 0.008),
                  id=i) for i in range(600)]
    locator = Locator(boxes)
    x, y = rng.uniform(117.8, 118.1, 200_000), rng.uniform(30.9, 31.1, 200_000)
    expected = locator.assign("community", x, y)
    results, errors = [], []

    def work():
        try:
            results.append(locator.assign("community", x, y))
        except Exception as exc:  # recorded, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 6
    assert all(np.array_equal(r, expected) for r in results)
