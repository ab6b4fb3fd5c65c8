"""The demo hooks on a tiny folder shaped like sample_data (not the sample itself)."""

from __future__ import annotations

import json

from ingest.sample import import_sample_complaints, load_sample_areas
from ingest.sample_check import check_against_ground_truth

from .conftest import CITY_FEATURES, HEADER_12369, NOW, write_csv, write_geojson


def test_load_and_import_a_sample_shaped_folder(conn, tmp_path):
    (tmp_path / "areas").mkdir()
    (tmp_path / "complaints").mkdir()
    grids = [f for f in CITY_FEATURES if f["properties"]["kind"] == "grid"]
    others = [f for f in CITY_FEATURES if f["properties"]["kind"] != "grid"]
    write_geojson(tmp_path / "areas" / "grids.geojson", grids)
    write_geojson(tmp_path / "areas" / "communities.geojson", others)
    (tmp_path / "areas" / "teams.json").write_text(json.dumps(
        [{"name": "第一执法队", "grid": "网格A", "leader": "周", "mqtt_topic_suffix": "team1"}], ensure_ascii=False))
    write_csv(tmp_path / "complaints" / "12369.csv", HEADER_12369, [
        "JB1,2026-10-10 08:30:00,张三,13812345678,,,117.805,30.905,,小区里有臭味",
        "JB2,2026-10-10 09:30:00,,,,,,,,",
    ])
    (tmp_path / "complaints" / "12345.json").write_text(json.dumps({"orders": [
        {"工单号": "GD1", "来电时间": "2026-10-10T10:00:00+08:00", "姓名": "张三", "电话": "13812345678",
         "事发地址": "东湖小区", "经度": None, "纬度": None, "坐标系": None, "诉求内容": "臭味很重", "被投诉单位": None}]},
        ensure_ascii=False), encoding="utf-8")
    areas = load_sample_areas(conn, tmp_path, now=NOW)
    assert areas["grids.geojson"]["created"] == 2 and areas["teams.json"] == {"teams": 1}
    assert conn.execute("select leader, mqtt_topic from teams where name = '第一执法队'").fetchone() == ("周", "team1")
    seen = []
    progress = []
    summary = import_sample_complaints(conn, tmp_path, now=NOW, on_result=seen.append,
                                       progress=lambda name, done, total: progress.append((name, done, total)))
    assert summary["total"]["accepted"] == 1 and summary["total"]["duplicates"] == 1
    assert summary["total"]["quarantined"] == 1 and summary["total"]["cases_opened"] == 1
    assert ("12369.csv", 2, 2) in progress
    truth = tmp_path / "complaints" / "ground_truth.json"
    truth.write_text(json.dumps({"complaints": {
        "12369:JB1": {"community": "东湖小区", "categories": ["odour"], "urgent": False, "duplicate_of": None},
        "12345:GD1": {"community": "东湖小区", "categories": ["odour"], "urgent": False, "duplicate_of": "12369:JB1"},
    }}, ensure_ascii=False), encoding="utf-8")
    report = check_against_ground_truth(seen, truth)
    assert report["community"]["accuracy"] == 1.0
    assert report["duplicates"] == {"in_truth": 1, "flagged_duplicate": 1, "same_case_as_original": 1}
    assert report["categories"]["per_category"]["odour"]["recall"] == 1.0
