"""The complaints API, receipts, quarantine placing and Open311 GeoReport v2, through the real app."""

from __future__ import annotations

from typing import Any

import pytest

from envpetition.db import connect
from envpetition.geo_crs import wgs84_to_bd09
from ingest.areas_import import import_areas

from .conftest import CITY_FEATURES, NOW, write_geojson


@pytest.fixture
def city_app(app_client, fresh_database_url, tmp_path) -> Any:
    with connect(fresh_database_url, autocommit=True) as conn:
        import_areas(conn, write_geojson(tmp_path / "city.geojson", CITY_FEATURES), now=NOW)
    return app_client


def test_post_complaint_locates_classifies_and_opens_a_case(city_app, make_user):
    intake = make_user("intake")
    lon, lat = (float(v) for v in wgs84_to_bd09(117.8155, 30.9052))
    response = city_app.post("/api/complaints", headers=intake, json={
        "text": "小区旁工地凌晨还在打桩，噪音太大", "lon": lon, "lat": lat, "crs": "BD09", "name": "张三",
        "phone": "13812345678", "received_at": "2026-10-10T23:30:00+08:00"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["community"] == "阳光花园二期" and body["grid"] == "网格A"
    assert body["categories"] == ["noise_construction"] and body["urgent"] and body["case_id"]
    assert "张三" not in response.text
    # Intake sees the complainant; a team member sees a mask.
    mine = city_app.get(f"/api/complaints/{body['complaint_id']}", headers=intake).json()
    assert mine["complainant"] == {"name": "张三", "phone": "13812345678"}
    other = city_app.get(f"/api/complaints/{body['complaint_id']}", headers=make_user("team_member")).json()
    assert other["complainant"] == {"name": "张*", "phone": "138****5678"}
    # The receipt shows the complainant their own details without a login.
    receipt = city_app.get(f"/api/receipts/{body['receipt_token']}").json()
    assert receipt["complainant"]["phone"] == "13812345678" and receipt["case_id"] == body["case_id"]
    assert city_app.get("/api/receipts/not-a-token").status_code == 404


def test_write_endpoints_need_the_intake_role(city_app, make_user):
    assert city_app.post("/api/complaints", json={"text": "有臭味"}).status_code == 401
    assert city_app.post("/api/complaints", json={"text": "有臭味"}, headers=make_user("team_member")).status_code == 403
    assert city_app.post("/open311/v2/requests.json", data={"description": "x"}).status_code == 401


def test_bad_complaint_is_quarantined_then_placed_by_a_person(city_app, make_user):
    intake = make_user("intake")
    response = city_app.post("/api/complaints", headers=intake, json={"text": "这里有人倾倒垃圾", "address": "某条小路边"})
    assert response.status_code == 422 and "needs location" in response.text
    (row,) = city_app.get("/api/quarantine", headers=intake, params={"kind": "needs_location"}).json()
    placed = city_app.post(f"/api/quarantine/{row['id']}/place", headers=intake, json={"lon": 117.825, "lat": 30.905})
    assert placed.status_code == 200, placed.text
    assert placed.json()["community"] == "阳光花园一期" and placed.json()["categories"] == ["solid_waste"]
    assert city_app.get("/api/quarantine", headers=intake, params={"kind": "needs_location"}).json() == []
    assert city_app.post(f"/api/quarantine/{row['id']}/place", headers=intake,
                         json={"lon": 117.825, "lat": 30.905}).status_code == 404


def test_open311_services_post_and_get(city_app, make_user):
    services = city_app.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} >= {"odour", "noise_social", "water", "other"}
    posted = city_app.post("/open311/v2/requests.json", headers=make_user("intake"), data={
        "service_code": "odour", "description": "傍晚闻到刺鼻的化学气味", "lat": "30.9051", "long": "117.8052",
        "address_string": "东湖小区3栋1单元", "first_name": "明", "last_name": "李", "phone": "13900000000"})
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    (one,) = city_app.get(f"/open311/v2/requests/{request_id}.json").json()
    assert one["service_code"] == "odour" and one["status"] == "open" and one["address"] == "东湖小区"
    assert one["lat"] == 30.905 and one["long"] == 117.805  # rounded: no door-level position in public
    assert "李" not in str(one) and "1单元" not in str(one)
    listed = city_app.get("/open311/v2/requests.json", params={"service_code": "odour", "status": "open"}).json()
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert city_app.get("/open311/v2/requests.json", params={"status": "closed"}).json() == []
    assert city_app.get("/open311/v2/requests/999999.json").status_code == 404


def test_locate_endpoint(city_app, make_user):
    found = city_app.get("/api/locate", headers=make_user("team_member"), params={"lon": 117.81, "lat": 30.905}).json()
    assert found["near_boundary"] is True and found["grid"] == "网格A"


def test_expected_datetime_comes_from_the_case_clocks(city_app, make_user, fresh_database_url):
    intake = make_user("intake")
    body = city_app.post("/api/complaints", headers=intake, json={
        "text": "有臭味", "lon": 117.805, "lat": 30.905, "received_at": "2026-10-10T08:00:00+08:00"}).json()
    with connect(fresh_database_url, autocommit=True) as conn:
        (due,) = conn.execute("select min(due_at) from clocks where case_id = %s and met_at is null",
                              (body["case_id"],)).fetchone()
    # Saturday 10 October 2026 is an adjusted working day; a normal case is due on site within one
    # working day: Monday 12 October at the same clock time (dispatch's rule, deadlines.md).
    assert due.isoformat() == "2026-10-12T08:00:00+08:00"
    (one,) = city_app.get(f"/open311/v2/requests/{body['complaint_id']}.json").json()
    assert one["expected_datetime"] == "2026-10-12T08:00:00+08:00"
    view = city_app.get(f"/api/complaints/{body['complaint_id']}", headers=intake).json()
    assert view["expected_datetime"].startswith("2026-10-12T08:00:00")


def test_api_complaints_are_deduplicated_against_stored_ones(city_app, make_user):
    intake = make_user("intake")
    first = city_app.post("/api/complaints", headers=intake, json={
        "text": "小区里有臭味", "lon": 117.805, "lat": 30.905, "phone": "13800000001", "channel": "12369",
        "received_at": "2026-10-10T08:00:00+08:00"}).json()
    again = city_app.post("/api/complaints", headers=intake, json={
        "text": "东湖小区臭气熏天", "address": "东湖小区", "phone": "138 0000 0001", "channel": "12345",
        "received_at": "2026-10-10T09:30:00+08:00"}).json()
    assert again["status"] == "duplicate" and again["duplicate_of"] == first["complaint_id"]
    assert again["case_id"] == first["case_id"]
    burst = city_app.post("/api/complaints", headers=intake, json={
        "text": "闻到臭味", "lon": 117.806, "lat": 30.906, "channel": "12369",
        "received_at": "2026-10-10T09:45:00+08:00"}).json()
    assert burst["status"] == "accepted" and burst["case_id"] == first["case_id"]


def test_placed_row_is_not_quarantined_again_on_reimport(city_app, make_user, fresh_database_url, tmp_path):
    from ingest.batch import IntakeContext
    from ingest.importer import import_file

    from .conftest import HEADER_12369, write_csv

    path = write_csv(tmp_path / "a.csv", HEADER_12369, ["N1,2026-10-10 08:30,,,,某条小路边,,,,有人倾倒垃圾"])
    with connect(fresh_database_url, autocommit=True) as conn:
        first = import_file(conn, path, now=NOW, ctx=IntakeContext.load(conn))
    assert first.needs_location == 1
    intake = make_user("intake")
    (row,) = city_app.get("/api/quarantine", headers=intake).json()
    placed = city_app.post(f"/api/quarantine/{row['id']}/place", headers=intake, json={"lon": 117.825, "lat": 30.905})
    assert placed.json()["external_id"] == "N1" and placed.json()["channel"] == "12369"
    with connect(fresh_database_url, autocommit=True) as conn:
        again = import_file(conn, path, now=NOW, ctx=IntakeContext.load(conn))
        open_rows = conn.execute("select count(*) from quarantine where resolved_at is null").fetchone()
    assert (again.duplicates, again.quarantined, open_rows) == (1, 0, (0,))


def test_placing_a_quarantined_row_stores_the_complaint_and_closes_the_entry_together(city_app, make_user,
                                                                                       fresh_database_url):
    intake = make_user("intake")
    city_app.post("/api/complaints", headers=intake, json={"text": "这里有人倾倒垃圾", "address": "某条小路边"})
    (row,) = city_app.get("/api/quarantine", headers=intake, params={"kind": "needs_location"}).json()
    with connect(fresh_database_url, autocommit=True) as conn:  # closing the entry fails: nothing may be kept
        conn.execute("create function refuse() returns trigger language plpgsql as "
                     "$$ begin raise exception 'closing refused'; end $$")
        conn.execute("create trigger refuse_close before update on quarantine for each row execute function refuse()")
        before = conn.execute("select count(*) from complaints").fetchone()[0]
    with pytest.raises(Exception, match="closing refused"):
        city_app.post(f"/api/quarantine/{row['id']}/place", headers=intake, json={"lon": 117.825, "lat": 30.905})
    with connect(fresh_database_url, autocommit=True) as conn:
        assert conn.execute("select count(*) from complaints").fetchone()[0] == before
        assert conn.execute("select resolved_at from quarantine where id = %s", (row["id"],)).fetchone()[0] is None
