"""Import the city's base-map layers (water, rivers, roads, railways, place names) from a vector file.

Read like areas (GeoJSON, Shapefile, GeoPackage; any CRS, GCJ-02 and BD-09 included, see
``ingest.areas_import.read_features``); each feature's ``kind`` (or ``--layer``) names its layer.
Every layer present in the file replaces that layer's current features (``envpetition.basemap``).
A feature that does not fit its layer is rejected with the reason, kept in ``quarantine``
(kind ``bad_area``) and listed in the summary; the rest of the file is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import shapely
from psycopg.types.json import Jsonb

from envpetition.basemap import MAP_LAYERS, MapFeature, check_feature, replace_layer
from ingest.areas_import import _clean, normalise_kind, read_features

LAYER_ALIASES = {"水域": "water", "湖泊": "water", "河流": "river", "水系": "river", "道路": "road", "铁路": "rail",
                 "地名": "place", "注记": "place", "lake": "water", "roads": "road", "railway": "rail"}
RESERVED = {"name", "kind", "layer", "geometry"}
INSERT_QUARANTINE = "insert into quarantine (source, row_no, raw, reason, kind) values (%s, %s, %s, %s, 'bad_area')"


@dataclass
class BasemapImportSummary:
    file: str
    features: int = 0
    layers: dict[str, str] = field(default_factory=dict)  # layer -> created | updated | unchanged
    stored: int = 0  # features written as new versions
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "features": self.features, "created": self.stored, "layers": self.layers,
                "rejected": len(self.rejected), "rejections": self.rejected}


def feature_from_row(props: dict[str, Any], geom: Any, default_layer: str | None) -> MapFeature:
    """Build a MapFeature from a feature's properties; raise ValueError with a reason."""
    raw_layer = props.get("layer") if _clean(props.get("layer")) is not None else props.get("kind")
    layer = normalise_kind(raw_layer, default_layer)
    layer = LAYER_ALIASES.get(layer or "", layer)
    if layer not in MAP_LAYERS:
        raise ValueError(f"unknown layer {layer!r}; give kind in the file or --layer ({', '.join(MAP_LAYERS)})")
    if geom is not None and geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    name = _clean(props.get("name"))
    attributes = {k: _clean(v) for k, v in props.items() if k not in RESERVED and _clean(v) is not None}
    feature = MapFeature(layer=layer, geom=geom, name=None if name is None else str(name), attributes=attributes)
    check_feature(feature)
    return feature


def import_basemap(conn: psycopg.Connection[Any], path: str | Path, *, now: datetime, layer: str | None = None,
                   crs: str | None = None) -> BasemapImportSummary:
    """Import one vector file of base-map layers (one transaction); return what happened."""
    path = Path(path)
    frame = read_features(path, crs)
    summary = BasemapImportSummary(file=path.name, features=len(frame))
    columns = [c for c in frame.columns if c != "geometry"]
    by_layer: dict[str, list[MapFeature]] = {}
    with conn.transaction():
        for row_no, (geom, values) in enumerate(zip(frame.geometry.values, frame[columns].itertuples(index=False),
                                                     strict=True), start=1):
            props = dict(zip(columns, values, strict=True))
            try:
                feature = feature_from_row(props, geom, layer)
            except ValueError as exc:
                raw = {k: (str(v) if _clean(v) is not None else None) for k, v in props.items()}
                raw["geometry_wkt"] = None if geom is None else shapely.to_wkt(geom, rounding_precision=7)
                conn.execute(INSERT_QUARANTINE, (f"basemap:{path.name}", row_no, Jsonb(raw), str(exc)))
                summary.rejected.append({"feature": row_no, "name": raw.get("name"), "reason": str(exc)})
                continue
            by_layer.setdefault(feature.layer, []).append(feature)
        for name, features in by_layer.items():
            summary.layers[name] = replace_layer(conn, name, features, now=now, source=path.name)
            summary.stored += 0 if summary.layers[name] == "unchanged" else len(features)
    return summary
