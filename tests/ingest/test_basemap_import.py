"""Base-map layers (water, roads, places) imported like areas: versions kept, bad features quarantined."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg

from envpetition.views import current_map_features
from ingest.basemap_import import import_basemap
from ingest.sample import load_sample_areas

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return path


def _f(kind: str | None, name: str | None, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"kind": kind, "name": name, **props}, "geometry": geometry}


ROAD = {"type": "LineString", "coordinates": [[117.80, 30.94], [117.82, 30.94]]}
LAKE = {"type": "Polygon", "coordinates": [[[117.80, 30.95], [117.81, 30.95], [117.81, 30.96], [117.80, 30.95]]]}
POINT = {"type": "Point", "coordinates": [117.81, 30.945]}


def test_layers_import_bad_features_are_quarantined_with_the_reason(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "base.geojson", [
        _f("road", "长江路", ROAD, **{"class": "main"}), _f("道路", "翠湖路", ROAD), _f("water", "天井湖", LAKE),
        _f("place", "铜官山", POINT), _f("road", "点状道路", POINT), _f("place", None, POINT), _f("bridge", "大桥", ROAD),
    ])
    summary = import_basemap(conn, path, now=NOW)
    assert summary.layers == {"road": "created", "water": "created", "place": "created"}
    assert summary.as_dict()["created"] == 4 and summary.as_dict()["rejected"] == 3
    reasons = {r["feature"]: r["reason"] for r in summary.rejected}
    assert set(reasons) == {5, 6, 7}
    assert "takes LineString or MultiLineString, got Point" in reasons[5]
    assert "a place needs a name" in reasons[6] and "unknown layer 'bridge'" in reasons[7]
    quarantined = conn.execute("select row_no, reason from quarantine where source = 'basemap:base.geojson' "
                               "and kind = 'bad_area' order by row_no").fetchall()
    assert [r[0] for r in quarantined] == [5, 6, 7]
    roads = [f for f in current_map_features(conn, ("road",))]
    assert [(f.name, f.attributes) for f in roads] == [("长江路", {"class": "main"}), ("翠湖路", {})]


def test_reimport_keeps_old_versions_and_notices_no_change(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    first = _write(tmp_path / "a.geojson", [_f("road", "长江路", ROAD), _f("place", "铜官山", POINT)])
    import_basemap(conn, first, now=NOW)
    assert import_basemap(conn, first, now=NOW + timedelta(days=1)).layers == {"road": "unchanged", "place": "unchanged"}
    moved = {"type": "Point", "coordinates": [117.815, 30.946]}
    second = _write(tmp_path / "b.geojson", [_f("place", "铜官山", moved), _f("place", "笠帽山", POINT)])
    assert import_basemap(conn, second, now=NOW + timedelta(days=2)).layers == {"place": "updated"}
    assert sorted(f.name for f in current_map_features(conn, ("place",))) == ["笠帽山", "铜官山"]
    assert [f.name for f in current_map_features(conn, ("road",))] == ["长江路"]  # a layer not in the file stays
    closed = conn.execute("select count(*) from map_features where layer = 'place' and valid_to is not null").fetchone()
    assert closed == (1,)


def test_the_sample_city_ships_water_roads_and_places(conn: psycopg.Connection[Any]) -> None:
    summary = load_sample_areas(conn, SAMPLE, now=NOW)
    assert summary["basemap.geojson"]["rejected"] == 0
    layers = {f.layer for f in current_map_features(conn)}
    assert layers == {"water", "road", "place"}
    names = {f.name for f in current_map_features(conn)}
    assert {"长江", "天井湖", "长江路", "石城大道", "铜陵站"} <= names  # water is named by its polygons
