"""The trace of an incident through the API, the CLI and the page: the same ranking and evidence everywhere."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from envpetition.cli import main
from envpetition.db import connect
from tests.monitoring.trace_scene import build, build_and_cluster


def _cli(url, mqtt_url, tmp_path, *args):
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, "MQTT_URL": mqtt_url,
                                                       "ENVPETITION_HOME": str(tmp_path)}, catch_exceptions=False)
    return result.exit_code, result.output


def test_api_cli_and_page_agree(app_client, make_user, fresh_database_url, mqtt_url, tmp_path):
    with connect(fresh_database_url, autocommit=True) as c:
        ids = build_and_cluster(c)
    headers = make_user("monitoring")
    listed = app_client.get("/api/incidents", headers=headers).json()
    assert [i["id"] for i in listed] == [ids["incident"]] and listed[0]["size"] == 6
    api = app_client.get(f"/api/incidents/{ids['incident']}/trace", headers=headers).json()
    ranking = [c["name"] for c in api["candidates"]]
    assert ranking[0] == "铜港焦化"
    by_case = app_client.get(f"/api/cases/{ids['cases'][2]}/trace", headers=headers).json()
    assert [c["name"] for c in by_case["candidates"]] == ranking
    assert by_case["incident"]["id"] == ids["incident"]

    code, out = _cli(fresh_database_url, mqtt_url, tmp_path, "trace", "incident", str(ids["incident"]), "--json")
    assert code == 0, out
    cli = json.loads(out)
    assert [c["name"] for c in cli["candidates"]] == ranking
    assert [[t["llr"] for t in c["terms"]] for c in cli["candidates"]] == \
           [[t["llr"] for t in c["terms"]] for c in api["candidates"]]
    code, text = _cli(fresh_database_url, mqtt_url, tmp_path, "trace", "case", str(ids["cases"][0]))
    assert code == 0 and " 1. 铜港焦化" in text and "odour" in text

    page = app_client.get(f"/incidents/{ids['incident']}/trace", headers=headers)
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", page.text)
    assert [name for _, name in rows] == ranking
    assert '"type":"scattermap"' in page.text and 'city.geojson' in page.text  # on the city's base map (plotly's JSON escapes the slashes)
    assert "barpolar" in page.text  # the monitor's CPF
    for term in ("upwind", "plume", "odour", "monitors"):
        first = next(t for t in api["candidates"][0]["terms"] if t["key"] == term)
        assert first["zh"].split("（")[0] in page.text
    assert app_client.get(f"/cases/{ids['cases'][0]}/trace", headers=headers).status_code == 200
    assert app_client.get("/api/incidents/999999/trace", headers=headers).status_code == 404
    assert app_client.get("/incidents/999999/trace", headers=headers).status_code == 404


def test_investigation_from_the_api_shows_on_the_monitoring_page(app_client, make_user, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        ids = build_and_cluster(c)
    url = f"/api/incidents/{ids['incident']}/investigation"
    assert app_client.put(url, json={"outcome": "enterprise", "enterprise_id": ids["coke"]},
                          headers=make_user("intake")).status_code == 403
    bad = app_client.put(url, json={"outcome": "enterprise"}, headers=make_user("monitoring"))
    assert bad.status_code == 422 and "enterprise" in bad.text
    ok = app_client.put(url, json={"outcome": "enterprise", "enterprise_id": ids["coke"], "note": "现场查实"},
                        headers=make_user("monitoring"))
    assert ok.status_code == 200 and ok.json()["outcome"] == "enterprise"
    acc = app_client.get("/api/incidents/accuracy", headers=make_user("monitoring")).json()
    assert acc[0]["month"] == "2026-08" and acc[0]["top1"] == 1
    page = app_client.get("/monitoring", headers=make_user("monitoring")).text
    assert "溯源准确率" in page and "2026-08" in page and f'/incidents/{ids["incident"]}/trace' in page


def test_a_case_outside_any_incident_is_traced_alone(app_client, make_user, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        ids = build(c)  # not clustered
    trace = app_client.get(f"/api/cases/{ids['cases'][0]}/trace", headers=make_user("monitoring")).json()
    assert trace["incident"] is None and len(trace["complaints"]) == 1
    assert trace["complaints"][0]["descriptors"] == []  # the title says only 异味 (odour)
    # the monitor in the air's path still points at the far plant
    assert trace["candidates"][0]["name"] == "铜港焦化"
