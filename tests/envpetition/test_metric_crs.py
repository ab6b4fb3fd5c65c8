"""The metric projection follows the city: a zone near its middle, distances true to the ellipsoid."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from envpetition.areas import Area
from envpetition.geo_crs import distance_m, metric_crs_for, to_metric
from envpetition.geo_locate import Locator
from monitoring.nearest import nearest

GEOD = pyproj.Geod(ellps="WGS84")
# city centre (lon, lat) and the half-size of its extent in degrees
CITIES = {"urumqi": (87.6, 43.8, 0.35), "harbin": (126.6, 45.75, 0.45), "tongling": (117.8, 30.95, 0.15)}


def _central_meridian(crs: str) -> float:
    return float(pyproj.CRS(crs).to_dict()["lon_0"])


def _city_areas(lon: float, lat: float, half: float) -> list[Area]:
    return [Area("grid", f"网格{i}", shapely.box(lon - half + i * half, lat - half, lon + i * half, lat + half), id=i + 1)
            for i in range(2)]


@pytest.mark.parametrize("city", sorted(CITIES))
def test_zone_of_the_city_and_geodesic_distances(city, monkeypatch):
    monkeypatch.delenv("ENVPETITION_METRIC_CRS", raising=False)
    lon, lat, half = CITIES[city]
    areas = _city_areas(lon, lat, half)
    locator = Locator(areas)
    assert abs(_central_meridian(locator.crs) - lon) <= 1.5, locator.crs
    rng = np.random.default_rng(7)
    lon1, lon2 = rng.uniform(lon - half, lon + half, (2, 500))
    lat1, lat2 = rng.uniform(lat - half, lat + half, (2, 500))
    _, _, geodesic = GEOD.inv(lon1, lat1, lon2, lat2)
    far = geodesic > 1000  # relative error means little over a few metres
    x1, y1 = to_metric(lon1, lat1, locator.crs)
    x2, y2 = to_metric(lon2, lat2, locator.crs)
    projected = np.hypot(x1 - x2, y1 - y2)
    assert np.max(np.abs(projected[far] / geodesic[far] - 1)) < 0.001
    assert np.max(np.abs(distance_m(lon1, lat1, lon2, lat2)[far] / geodesic[far] - 1)) < 0.001
    # the monitoring side measures in the same zone: a small enterprise 3 km from a monitor
    site = Area("enterprise", "厂", shapely.Point(lon + half / 2, lat).buffer(1e-5), id=9)
    [(_, d)] = nearest([*areas, site][2:], [lon + half / 2 + 0.03], [lat + 0.01])
    _, _, expected = GEOD.inv(lon + half / 2, lat, lon + half / 2 + 0.03, lat + 0.01)
    assert abs(d / expected - 1) < 0.001


def test_the_old_fixed_zone_was_wrong_far_from_tongling(monkeypatch):
    monkeypatch.delenv("ENVPETITION_METRIC_CRS", raising=False)
    lon, lat, _ = CITIES["urumqi"]
    x, y = to_metric([lon, lon + 0.1], [lat, lat], "EPSG:4548")
    _, _, geodesic = GEOD.inv(lon, lat, lon + 0.1, lat)
    assert abs(np.hypot(x[1] - x[0], y[1] - y[0]) / geodesic - 1) > 0.01  # why the zone must follow the city


def test_setting_overrides_the_zone(monkeypatch):
    monkeypatch.setenv("ENVPETITION_METRIC_CRS", "EPSG:32650")
    assert metric_crs_for([87.6]) == "EPSG:32650"
    assert Locator(_city_areas(87.6, 43.8, 0.3)).crs == "EPSG:32650"
    monkeypatch.delenv("ENVPETITION_METRIC_CRS")
    assert metric_crs_for([87.6]) == "EPSG:4538"
    assert metric_crs_for([10.0, 11.0]) == "EPSG:32632"  # outside China's Gauss-Krüger zones: UTM
