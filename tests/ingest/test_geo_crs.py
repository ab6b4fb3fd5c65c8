"""CRS conversion: round trips under 1 m, known offsets, names."""

from __future__ import annotations

import numpy as np
import pytest

from envpetition.geo_crs import (
    UnknownCRS,
    distance_m,
    gcj02_to_bd09,
    in_china,
    parse_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

rng = np.random.default_rng(3)
LON = np.concatenate([[117.8113, 116.397, 121.47, 87.6, 126.6], rng.uniform(74, 134, 2000)])
LAT = np.concatenate([[30.9474, 39.909, 31.23, 43.8, 45.75], rng.uniform(18, 53, 2000)])


@pytest.mark.parametrize("crs, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_inverse_round_trip_is_under_a_millimetre(crs, forward):
    lon, lat = to_wgs84(*forward(LON, LAT), crs)
    assert distance_m(LON[:5], LAT[:5], lon[:5], lat[:5]).max() < 0.001
    assert np.abs(lon - LON).max() < 1e-8 and np.abs(lat - LAT).max() < 1e-8


@pytest.mark.parametrize("forward, low, high", [(wgs84_to_gcj02, 450, 700), (wgs84_to_bd09, 1000, 1400)])
def test_offsets_in_tongling_are_the_known_size(forward, low, high):
    assert low < distance_m(117.8113, 30.9474, *forward(117.8113, 30.9474))[()] < high


def test_gcj_to_bd_matches_published_reference_point():
    # Baidu's own example: GCJ-02 (116.404, 39.915) is BD-09 (116.41036, 39.92133) to ~1e-5.
    bx, by = gcj02_to_bd09(116.404, 39.915)
    assert abs(bx - 116.41036) < 2e-5 and abs(by - 39.92133) < 2e-5


def test_projected_epsg_points_convert():
    # EPSG:4548 (CGCS2000 GK 117E) false easting 500 km: a point on the central meridian.
    lon, lat = to_wgs84([500000.0], [3425000.0], "EPSG:4548")
    assert abs(lon[0] - 117.0) < 1e-6 and 30.9 < lat[0] < 31.0


@pytest.mark.parametrize("name, expected", [
    (None, "wgs84"), ("", "wgs84"), ("WGS84", "wgs84"), ("wgs-84", "wgs84"), ("GCJ02", "gcj02"), ("GCJ-02", "gcj02"),
    ("高德", "gcj02"), ("BD09", "bd09"), ("bd09ll", "bd09"), ("百度", "bd09"), ("EPSG:4326", "wgs84"),
    ("epsg:4547", "EPSG:4547"), ("32650", "EPSG:32650"),
])
def test_parse_crs(name, expected):
    assert parse_crs(name) == expected


@pytest.mark.parametrize("name", ["mars", "EPSG:99999", "BD10"])
def test_parse_crs_rejects_unknown(name):
    with pytest.raises(UnknownCRS):
        parse_crs(name)


def test_in_china():
    assert in_china([117.8, 30.9, 2.35], [30.9, 117.8, 48.85]).tolist() == [True, False, False]
