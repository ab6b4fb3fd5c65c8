"""Import the bureau's own polygons (GeoJSON, Shapefile, GeoPackage, any CRS) into ``areas``.

Each feature becomes the current version of (kind, name); a changed feature closes the old version
(``valid_to``) and inserts the new one (``envpetition.areas.save_area``). Invalid geometries are
repaired with ``shapely.make_valid``; what cannot be repaired is rejected with the reason and kept in
``quarantine``. A grid's ``team`` creates or links the team (``envpetition.teams``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import shapely
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry

from envpetition.areas import AREA_KINDS, Area, save_area
from envpetition.geo_crs import BD09, GCJ02, WGS84, UnknownCRS, parse_crs, to_wgs84
from envpetition.teams import save_team

NOISE_CLASSES = ("0", "1", "2", "3", "4a", "4b")
KIND_ALIASES = {"小区": "community", "社区": "community", "企业": "enterprise", "网格": "grid", "区县": "district",
                "区": "district", "县": "district"}
ALIAS_SPLIT = re.compile(r"[、,，;；|/]")
RESERVED = {"name", "kind", "aliases", "code", "geometry"}

INSERT_QUARANTINE = "insert into quarantine (source, row_no, raw, reason, kind) values (%s, %s, %s, %s, 'bad_area')"


class AreaFileError(ValueError):
    """The file as a whole cannot be read (missing, empty, unknown CRS)."""


@dataclass
class AreaImportSummary:
    file: str
    features: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    teams_linked: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "features": self.features, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "repaired": self.repaired, "teams_linked": self.teams_linked,
                "rejected": len(self.rejected), "rejections": self.rejected}


def parse_aliases(value: Any) -> list[str]:
    """Aliases as a list: a list, or one string separated by 、 , ， ; |."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            try:
                return [str(v).strip() for v in json.loads(text) if str(v).strip()]
            except ValueError:
                pass
        return [part.strip() for part in ALIAS_SPLIT.split(text) if part.strip()]
    return [part for v in value for part in parse_aliases(str(v))]


def normalise_kind(value: Any, default: str | None) -> str | None:
    text = _clean(value)
    if text is None:
        return default
    text = text.lower()
    return KIND_ALIASES.get(text, text)


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if hasattr(value, "tolist"):  # numpy scalar or array (pyogrio reads JSON lists as arrays)
        return value.tolist()
    return value


def repair_geometry(geom: BaseGeometry | None) -> tuple[BaseGeometry | None, str | None, bool]:
    """Return (polygonal geometry or None, reason when rejected, repaired?)."""
    if geom is None or geom.is_empty:
        return None, "empty geometry", False
    repaired = False
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
        repaired = True
        polygons = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polygons:
            return None, f"invalid geometry that cannot be repaired into a polygon ({why})", True
        geom = shapely.union_all(polygons)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, f"geometry is a {geom.geom_type}, expected a Polygon or MultiPolygon", repaired
    if geom.area == 0:
        return None, "polygon has zero area", repaired
    return geom, None, repaired


def read_features(path: Path, crs: str | None) -> gpd.GeoDataFrame:
    """Read any vector file pyogrio reads and return it in WGS-84."""
    if not path.exists():
        raise AreaFileError(f"file not found: {path}")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError kinds
        raise AreaFileError(f"cannot read {path.name}: {exc}") from exc
    if len(frame) == 0:
        raise AreaFileError(f"{path.name} has no features")
    try:
        target = parse_crs(crs) if crs else None
    except UnknownCRS as exc:
        raise AreaFileError(str(exc)) from exc
    if target in (GCJ02, BD09):
        frame = frame.set_crs("EPSG:4326", allow_override=True)
        frame["geometry"] = shapely.transform(
            frame.geometry.values, lambda xy: _stack(to_wgs84(xy[:, 0], xy[:, 1], target)))
        return frame
    if target is not None:
        frame = frame.set_crs("EPSG:4326" if target == WGS84 else target, allow_override=True)
    elif frame.crs is None or frame.crs.is_geographic:
        # GeoJSON always claims EPSG:4326, even when someone saved metres in it.
        min_x, min_y, max_x, max_y = frame.total_bounds
        if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
            raise AreaFileError(f"{path.name} has no usable CRS and is not in degrees; give --crs EPSG:n")
        if frame.crs is None:
            frame = frame.set_crs("EPSG:4326")
    return frame.to_crs("EPSG:4326")


def _stack(xy: tuple[Any, Any]) -> Any:
    import numpy as np

    return np.column_stack(xy)


def feature_to_area(props: dict[str, Any], geom: BaseGeometry, default_kind: str | None) -> Area:
    """Build an Area from a feature's properties; raise ValueError with a reason."""
    name = _clean(props.get("name"))
    if name is None:
        raise ValueError("feature has no name")
    kind = normalise_kind(props.get("kind"), default_kind)
    if kind not in AREA_KINDS:
        raise ValueError(f"unknown kind {kind!r}; give kind in the file or --kind ({', '.join(AREA_KINDS)})")
    attributes = {k: _clean(v) for k, v in props.items() if k not in RESERVED and _clean(v) is not None}
    if "noise_class" in attributes:
        noise = str(attributes["noise_class"]).strip().lower().removesuffix(".0")
        if noise not in NOISE_CLASSES:
            raise ValueError(f"noise_class {attributes['noise_class']!r} is not one of {', '.join(NOISE_CLASSES)}")
        attributes["noise_class"] = noise
    code = _clean(props.get("code"))
    return Area(kind=kind, name=str(name), geom=geom, code=None if code is None else str(code),
                aliases=parse_aliases(props.get("aliases")), attributes=attributes)


def import_areas(conn: psycopg.Connection[Any], path: str | Path, *, now: datetime, kind: str | None = None,
                 crs: str | None = None) -> AreaImportSummary:
    """Import one vector file into ``areas`` (one transaction); return what happened."""
    path = Path(path)
    frame = read_features(path, crs)
    summary = AreaImportSummary(file=path.name, features=len(frame))
    columns = [c for c in frame.columns if c != "geometry"]
    with conn.transaction():
        for row_no, (geom, values) in enumerate(zip(frame.geometry.values, frame[columns].itertuples(index=False),
                                                     strict=True), start=1):
            props = dict(zip(columns, values, strict=True))
            fixed, reason, repaired = repair_geometry(geom)
            try:
                if fixed is None:
                    raise ValueError(reason)
                area = feature_to_area(props, shapely.set_precision(fixed, 1e-9), kind)
            except ValueError as exc:
                _reject(conn, summary, row_no, props, geom, str(exc))
                continue
            summary.repaired += int(repaired)
            area_id, outcome = save_area(conn, area, now=now)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            team = area.attributes.get("team")
            if area.kind == "grid" and team:
                save_team(conn, str(team), grid_id=area_id)
                summary.teams_linked += 1
    return summary


def _reject(conn: psycopg.Connection[Any], summary: AreaImportSummary, row_no: int, props: dict[str, Any],
            geom: BaseGeometry | None, reason: str) -> None:
    raw = {k: (str(v) if _clean(v) is not None else None) for k, v in props.items()}
    raw["geometry_wkt"] = None if geom is None else shapely.to_wkt(geom, rounding_precision=7)
    conn.execute(INSERT_QUARANTINE, (f"areas:{summary.file}", row_no, Jsonb(raw), reason))
    summary.rejected.append({"feature": row_no, "name": raw.get("name"), "reason": reason})
