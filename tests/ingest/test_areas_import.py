"""Areas import: formats, CRSs, versions, repairs, rejections, teams."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from envpetition.areas import current_areas
from envpetition.geo_crs import wgs84_to_bd09, wgs84_to_gcj02
from ingest.areas_import import AreaFileError, import_areas, parse_aliases

from .conftest import CITY_FEATURES, NOW, box_feature, write_geojson


def test_geojson_import_creates_areas_and_teams(conn, city):
    kinds = dict(conn.execute("select kind, count(*) from areas where valid_to is null group by kind").fetchall())
    assert kinds == {"district": 2, "community": 3, "enterprise": 2, "grid": 2}
    teams = dict(conn.execute("select t.name, a.name from teams t join areas a on a.id = t.grid_id").fetchall())
    assert teams == {"第一执法队": "网格A", "第二执法队": "网格B"}
    aliases, = conn.execute("select aliases from areas where name = '东湖小区'").fetchone()
    assert aliases == ["东湖花园", "东湖新村"]
    noise = dict(conn.execute("select name, attributes->>'noise_class' from areas where kind = 'grid'").fetchall())
    assert noise == {"网格A": "2", "网格B": "1"}


def test_reimport_is_unchanged_then_updates_and_keeps_old_version(conn, city, tmp_path):
    again = import_areas(conn, write_geojson(tmp_path / "again.geojson", CITY_FEATURES), now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(CITY_FEATURES))
    moved = [f for f in CITY_FEATURES if f["properties"]["name"] != "网格A"]
    moved.append(box_feature({"name": "网格A", "kind": "grid", "team": "第一执法队", "noise_class": "2"},
                             117.79, 30.89, 117.821, 30.92))
    later = NOW.replace(day=20)
    summary = import_areas(conn, write_geojson(tmp_path / "moved.geojson", moved), now=later)
    assert summary.updated == 1 and summary.unchanged == len(CITY_FEATURES) - 1
    versions = conn.execute("select id, valid_from, valid_to from areas where name = '网格A' order by id").fetchall()
    assert len(versions) == 2 and versions[0][2] == later and versions[1][2] is None
    team_grid, = conn.execute("select grid_id from teams where name = '第一执法队'").fetchone()
    assert team_grid == versions[1][0]


def test_bowtie_is_repaired_and_line_is_rejected_to_quarantine(conn, tmp_path):
    bowtie = {"type": "Feature", "properties": {"name": "蝴蝶小区", "kind": "community"},
              "geometry": {"type": "Polygon", "coordinates": [[[117.80, 30.90], [117.81, 30.91], [117.81, 30.90],
                                                               [117.80, 30.91], [117.80, 30.90]]]}}
    line = {"type": "Feature", "properties": {"name": "一条线", "kind": "community"},
            "geometry": {"type": "LineString", "coordinates": [[117.8, 30.9], [117.81, 30.91]]}}
    nameless = box_feature({"kind": "community"}, 117.8, 30.9, 117.81, 30.91)
    bad_noise = box_feature({"name": "噪声区", "kind": "grid", "noise_class": "5"}, 117.8, 30.9, 117.81, 30.91)
    no_kind = box_feature({"name": "无类型"}, 117.8, 30.9, 117.81, 30.91)
    summary = import_areas(conn, write_geojson(tmp_path / "bad.geojson", [bowtie, line, nameless, bad_noise, no_kind]),
                           now=NOW)
    assert summary.created == 1 and summary.repaired == 1
    reasons = {r["feature"]: r["reason"] for r in summary.rejected}
    assert set(reasons) == {2, 3, 4, 5}
    assert "LineString" in reasons[2] and "no name" in reasons[3] and "noise_class" in reasons[4] and "kind" in reasons[5]
    geom_valid, = conn.execute("select geom from areas where name = '蝴蝶小区'").fetchone()
    assert shapely.from_wkb(bytes(geom_valid)).is_valid
    kept = conn.execute("select reason, raw->>'name' from quarantine where source = 'areas:bad.geojson' order by row_no").fetchall()
    assert len(kept) == 4 and kept[0][1] == "一条线"


def test_kind_option_applies_to_features_without_kind(conn, tmp_path):
    path = write_geojson(tmp_path / "ents.geojson", [box_feature({"name": "某厂"}, 117.8, 30.9, 117.81, 30.91)])
    assert import_areas(conn, path, now=NOW, kind="enterprise").created == 1
    assert conn.execute("select kind from areas where name = '某厂'").fetchone() == ("enterprise",)


def _frame(crs_transform=None):
    geom = shapely.box(117.80, 30.90, 117.81, 30.91)
    if crs_transform:
        geom = shapely.transform(geom, crs_transform)
    return gpd.GeoDataFrame({"name": ["东湖小区"], "kind": ["community"], "aliases": ["东湖花园,东湖新村"]},
                            geometry=[geom], crs="EPSG:4326")


@pytest.mark.parametrize("suffix, driver, crs_option, prepare", [
    (".shp", "ESRI Shapefile", None, lambda f: f.to_crs("EPSG:4548")),
    (".gpkg", "GPKG", None, lambda f: f.to_crs("EPSG:32650")),
    (".geojson", "GeoJSON", "EPSG:4326", lambda f: f),
    (".gpkg", "GPKG", "gcj02", lambda f: _frame(lambda xy: __import__("numpy").column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))),
    (".shp", "ESRI Shapefile", "bd09", lambda f: _frame(lambda xy: __import__("numpy").column_stack(wgs84_to_bd09(xy[:, 0], xy[:, 1])))),
])
def test_formats_and_crs_end_in_wgs84(conn, tmp_path, suffix, driver, crs_option, prepare):
    path = tmp_path / f"areas{suffix}"
    prepare(_frame()).to_file(path, driver=driver, engine="pyogrio")
    summary = import_areas(conn, path, now=NOW, crs=crs_option)
    assert summary.created == 1, summary.as_dict()
    area, = [a for a in current_areas(conn, ("community",)) if a.name == "东湖小区"]
    assert area.aliases == ["东湖花园", "东湖新村"]
    min_x, min_y, max_x, max_y = area.geom.bounds
    # Within ~1 m (1e-5 degrees) of the drawn WGS-84 box.
    assert max(abs(min_x - 117.80), abs(min_y - 30.90), abs(max_x - 117.81), abs(max_y - 30.91)) < 1e-5


def test_projected_file_without_crs_needs_the_option(conn, tmp_path):
    path = tmp_path / "nocrs.geojson"
    write_geojson(path, [box_feature({"name": "x", "kind": "community"}, 500000, 3420000, 500500, 3420500)])
    with pytest.raises(AreaFileError, match="--crs"):
        import_areas(conn, path, now=NOW)
    assert import_areas(conn, path, now=NOW, crs="EPSG:4548").created == 1


@pytest.mark.parametrize("content, message", [("", "cannot read"), ('{"type":"FeatureCollection","features":[]}', "no features")])
def test_empty_or_broken_file_is_a_clear_error(conn, tmp_path, content, message):
    path = tmp_path / "empty.geojson"
    path.write_text(content)
    with pytest.raises(AreaFileError, match=message):
        import_areas(conn, path, now=NOW)


def test_unknown_crs_option_is_a_clear_error(conn, tmp_path):
    path = write_geojson(tmp_path / "a.geojson", CITY_FEATURES[:1])
    with pytest.raises(AreaFileError, match="unknown CRS"):
        import_areas(conn, path, now=NOW, crs="mars")


@pytest.mark.parametrize("value, expected", [
    (None, []), ("", []), ("甲、乙", ["甲", "乙"]), ("甲,乙，丙", ["甲", "乙", "丙"]), (["甲", " 乙 "], ["甲", "乙"]),
    ('["甲", "乙"]', ["甲", "乙"]),
])
def test_parse_aliases(value, expected):
    assert parse_aliases(value) == expected
