"""Deliberately awkward geometries for tests (areas/tricky.geojson), written in WGS-84."""

from __future__ import annotations


def tricky_features(grids) -> list[dict]:
    """Deliberately awkward shapes for tests, written straight in WGS-84.

    They sit in an empty corner of grid 8 (义安区); the shared edge of 双子座A区/B区
    lies exactly on lon 117.7860 so a point on it is exactly representable.
    """
    lon0, lat0 = 117.7800, 30.9050
    d = 0.0020

    def ring(x0, y0, x1, y1):
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]

    feats = [
        (
            "蝴蝶苑",
            "self-intersecting bow-tie polygon (invalid: is_valid is False)",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [lon0, lat0],
                        [lon0 + d, lat0 + d],
                        [lon0 + d, lat0],
                        [lon0, lat0 + d],
                        [lon0, lat0],
                    ]
                ],
            },
        ),
        (
            "双子座A区",
            "shares its east edge exactly with 双子座B区 (lon 117.7860)",
            {"type": "Polygon", "coordinates": [ring(117.7840, 30.9090, 117.7860, 30.9110)]},
        ),
        (
            "双子座B区",
            "shares its west edge exactly with 双子座A区 (lon 117.7860)",
            {"type": "Polygon", "coordinates": [ring(117.7860, 30.9090, 117.7880, 30.9110)]},
        ),
        (
            "回字苑",
            "polygon with a hole (inner courtyard is not part of the community)",
            {
                "type": "Polygon",
                "coordinates": [
                    ring(117.7900, 30.9050, 117.7930, 30.9080),
                    ring(117.7910, 30.9060, 117.7920, 30.9070)[::-1],
                ],
            },
        ),
        (
            "河畔花园",
            "MultiPolygon: two parts on either side of a stream",
            {
                "type": "MultiPolygon",
                "coordinates": [
                    [ring(117.7840, 30.9030, 117.7855, 30.9042)],
                    [ring(117.7860, 30.9030, 117.7875, 30.9042)],
                ],
            },
        ),
    ]
    out = []
    for i, (name, why, geo) in enumerate(feats, 1):
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "name": name,
                    "kind": "community",
                    "code": f"TEST{i:04d}",
                    "aliases": [],
                    "district": "义安区",
                    "population": 1000,
                    "noise_class": "2",
                    "tricky": why,
                },
                "geometry": geo,
            }
        )
    pts = [
        ("on_shared_edge", [117.7860, 30.9100], "exactly on the A/B shared edge: covered by both"),
        ("on_shared_vertex", [117.7860, 30.9090], "exactly on a vertex shared by A and B"),
        ("near_edge_3m", [117.78603, 30.9100], "about 3 m east of the shared edge, inside B only"),
        ("in_courtyard", [117.7915, 30.9065], "inside the hole of 回字苑: not in the community"),
        ("in_bowtie_lobe", [117.7801, 30.9060], "inside the left lobe of the bow-tie"),
    ]
    for name, xy, why in pts:
        out.append(
            {
                "type": "Feature",
                "properties": {"name": name, "kind": "test_point", "tricky": why},
                "geometry": {"type": "Point", "coordinates": xy},
            }
        )
    return out
