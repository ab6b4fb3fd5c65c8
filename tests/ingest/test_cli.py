"""The commands end to end: areas import, complaints import (--json, --results), locate, classify."""

from __future__ import annotations

import json

from click.testing import CliRunner

from envpetition.cli import main
from envpetition.geo_crs import wgs84_to_gcj02

from .conftest import CITY_FEATURES, HEADER_12369, write_csv, write_geojson


def run(args, fresh_database_url, mqtt_url, tmp_path):
    env = {"DATABASE_URL": fresh_database_url, "MQTT_URL": mqtt_url, "ENVPETITION_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result


def test_import_areas_complaints_and_locate(fresh_database_url, mqtt_url, tmp_path):
    areas = write_geojson(tmp_path / "city.geojson", CITY_FEATURES)
    done = run(["areas", "import", str(areas), "--json"], fresh_database_url, mqtt_url, tmp_path)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.strip().splitlines()[-1])["created"] == len(CITY_FEATURES)

    csv_path = write_csv(tmp_path / "12369.csv", HEADER_12369, [
        "C1,2026-10-10 08:30,张三,13812345678,,东湖小区,117.805,30.905,,小区里有臭味",
        "C2,2026-10-10 08:40,,,,,30.905,117.805,,有臭味",
        "C3,2026-10-10 08:50,,,,某某路,,,,有臭味",
    ])
    results = tmp_path / "out.jsonl"
    done = run(["complaints", "import", str(csv_path), "--json", "--results", str(results)],
               fresh_database_url, mqtt_url, tmp_path)
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output.strip().splitlines()[-1])
    assert (summary["accepted"], summary["duplicates"], summary["quarantined"]) == (1, 0, 2)
    assert summary["quarantined_reasons"] == {"coordinates swapped": 1, "needs location": 1}
    lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [line["status"] for line in lines] == ["accepted", "quarantined", "quarantined"]
    first = lines[0]
    for key in ("row", "channel", "external_id", "status", "case_id", "lon", "lat", "community", "enterprise",
                "nearby_enterprises", "grid", "categories", "urgent", "near_boundary", "duplicate_of", "reason"):
        assert key in first
    assert first["community"] == "东湖小区" and first["categories"] == ["odour"] and first["case_id"]
    assert "张三" not in results.read_text(encoding="utf-8") and "张三" not in done.output

    again = run(["complaints", "import", str(csv_path), "--json"], fresh_database_url, mqtt_url, tmp_path)
    assert json.loads(again.output.strip().splitlines()[-1])["duplicates"] == 1

    lon, lat = (float(v) for v in wgs84_to_gcj02(117.8155, 30.9052))
    located = run(["areas", "locate", "--lon", str(lon), "--lat", str(lat), "--crs", "gcj02", "--json"],
                  fresh_database_url, mqtt_url, tmp_path)
    answer = json.loads(located.output.strip().splitlines()[-1])
    assert answer["community"] == "阳光花园二期" and answer["team"] == "第一执法队" and answer["input"]["crs"] == "gcj02"

    listed = run(["complaints", "quarantine", "--json"], fresh_database_url, mqtt_url, tmp_path)
    assert len(json.loads(listed.output.strip().splitlines()[-1])) == 2


def test_missing_mapping_and_bad_crs_are_clear_errors(fresh_database_url, mqtt_url, tmp_path):
    path = write_csv(tmp_path / "x.csv", "a,b", ["1,2"])
    done = run(["complaints", "import", str(path), "--format", "mapped"], fresh_database_url, mqtt_url, tmp_path)
    assert done.exit_code != 0 and "--mapping" in done.output
    done = run(["areas", "locate", "--lon", "117.8", "--lat", "30.9", "--crs", "mars"], fresh_database_url, mqtt_url, tmp_path)
    assert done.exit_code != 0 and "unknown CRS" in done.output


def test_classify_command():
    result = CliRunner().invoke(main, ["classify", "text", "化工厂晚上偷排废气，很多人头晕呕吐", "--json"])
    data = json.loads(result.output.strip().splitlines()[-1])
    assert "industrial_exhaust" in data["categories"] and data["priority"] == "emergency"
