"""Repository of the city's base-map layers: water, rivers, roads, railways, place names.

Reads are in ``envpetition/views.py`` (``current_map_features``). The bureau imports them as GeoJSON (or any vector file) with ``envpetition areas basemap FILE``;
the pages draw them under the districts, grids, communities and enterprises so that a map needs no
tile server. Geometry is EPSG:4326 WKB, like ``areas``. Importing a layer replaces its current
features as one new version (the old rows get ``valid_to``), unless nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import shapely
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry

# layer -> (Chinese label, the geometry types it takes)
MAP_LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "water": ("水域", ("Polygon", "MultiPolygon")),
    "river": ("河流", ("LineString", "MultiLineString")),
    "road": ("道路", ("LineString", "MultiLineString")),
    "rail": ("铁路", ("LineString", "MultiLineString")),
    "place": ("地名", ("Point",)),
}

SELECT_LAYER_WKB = "select name, attributes, geom from map_features where valid_to is null and layer = %s order by id"
CLOSE_LAYER = "update map_features set valid_to = %s where valid_to is null and layer = %s"
INSERT_FEATURE = """
insert into map_features (layer, name, attributes, geom, min_lon, min_lat, max_lon, max_lat, source, valid_from)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


@dataclass
class MapFeature:
    layer: str
    geom: BaseGeometry
    name: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def check_feature(feature: MapFeature) -> None:
    """Raise ValueError with the reason when ``feature`` does not fit its layer."""
    if feature.layer not in MAP_LAYERS:
        raise ValueError(f"unknown base-map layer {feature.layer!r}; layers are {', '.join(MAP_LAYERS)}")
    allowed = MAP_LAYERS[feature.layer][1]
    if feature.geom is None or feature.geom.is_empty:
        raise ValueError("empty geometry")
    if feature.geom.geom_type not in allowed:
        raise ValueError(f"layer {feature.layer} takes {' or '.join(allowed)}, got {feature.geom.geom_type}")
    if feature.layer == "place" and not feature.name:
        raise ValueError("a place needs a name")


def replace_layer(conn: psycopg.Connection[Any], layer: str, features: list[MapFeature], *, now: datetime,
                  source: str | None = None) -> str:
    """Make ``features`` the current content of ``layer``; return 'created', 'updated' or 'unchanged'.

    The caller owns the transaction (an import replaces several layers at once).
    """
    for feature in features:
        check_feature(feature)
    new = [(f.name, f.attributes, shapely.to_wkb(f.geom)) for f in features]
    old = [(n, a, bytes(g)) for n, a, g in conn.execute(SELECT_LAYER_WKB, (layer,)).fetchall()]
    if old == new:
        return "unchanged"
    conn.execute(CLOSE_LAYER, (now, layer))
    for feature, (_, _, wkb) in zip(features, new, strict=True):
        min_lon, min_lat, max_lon, max_lat = feature.geom.bounds
        conn.execute(INSERT_FEATURE, (layer, feature.name, Jsonb(feature.attributes), wkb,
                                      min_lon, min_lat, max_lon, max_lat, source, now))
    return "updated" if old else "created"

