"""The intake seat registers a complaint on its page; a bad one lands in the quarantine list."""

import shapely

from envpetition.city import CityBuilder
from envpetition.db import connect
from envpetition.runtime import local_now


def _city(url):
    with connect(url, autocommit=True) as c:
        city = CityBuilder(c, now=local_now())
        city.community("焦化新村", shapely.box(117.80, 30.94, 117.81, 30.95))
        city.grid("第一网格", shapely.box(117.79, 30.93, 117.82, 30.96), attributes={"team": "执法一队"})
        city.team("执法一队")


def test_intake_registers_and_shows_where_it_landed(app_client, make_user, fresh_database_url):
    _city(fresh_database_url)
    seat = make_user("intake")
    page = app_client.post("/intake", headers=seat, data={
        "channel": "12369", "text": "晚上焦化新村有很重的化工异味，刺鼻", "lon": "117.805", "lat": "30.945",
        "name": "张三丰", "phone": "13900001234"})
    assert page.status_code == 200
    assert "已受理" in page.text and "焦化新村" in page.text and "异味" in page.text
    with connect(fresh_database_url) as c:
        (case_id,) = c.execute("select case_id from complaints where text like '晚上焦化新村%'").fetchone()
    assert f'href="/cases/{case_id}"' in page.text


def test_intake_page_quarantines_bad_input_and_is_for_the_seat_only(app_client, make_user, fresh_database_url):
    _city(fresh_database_url)
    seat = make_user("intake")
    page = app_client.post("/intake", headers=seat, data={"channel": "12369", "text": "有噪音", "lon": "200", "lat": "95"})
    assert page.status_code == 200 and "quarantined" in page.text
    assert page.text.count("<article class=\"qrow\"") >= 1  # the row is listed for a person to fix
    assert app_client.get("/intake", headers=make_user("team_member")).status_code == 403


def _register(client, seat, **data):
    return client.post("/intake", headers=seat, data={"channel": "12369", **data})


def _cases(url):
    with connect(url) as c:
        return c.execute("select case_id, count(*) from complaints group by case_id order by case_id").fetchall()


def test_nearby_open_cases_are_suggested_and_the_seat_can_join_one(app_client, make_user, fresh_database_url):
    _city(fresh_database_url)
    seat = make_user("intake")
    _register(app_client, seat, text="焦化新村夜里化工异味刺鼻", lon="117.805", lat="30.945")
    ((case_id, _),) = _cases(fresh_database_url)
    found = app_client.get("/intake/suggest", headers=seat, params={"address": "焦化新村5栋", "text": "又有臭味"}).json()
    assert found["place"]["community"] == "焦化新村"
    assert [c["id"] for c in found["cases"]] == [case_id] and found["cases"][0]["distance_m"] < 800
    assert app_client.get("/intake/suggest", headers=seat, params={"text": ""}).json() == {"place": None, "cases": []}
    # A complaint the rules would open a new case for (a different kind, days later) joins the chosen one.
    page = _register(app_client, seat, text="焦化新村旁边工地晚上施工噪声", address="焦化新村", join_case_id=str(case_id))
    assert "并入已有案件" in page.text
    assert _cases(fresh_database_url) == [(case_id, 2)]
    refused = _register(app_client, seat, text="噪声", address="焦化新村", join_case_id="999999")
    assert "不能并入" in refused.text and _cases(fresh_database_url) == [(case_id, 2)]


def test_quarantine_rows_read_as_fields_and_are_fixed_from_the_page(app_client, make_user, fresh_database_url):
    _city(fresh_database_url)
    seat = make_user("intake")
    _register(app_client, seat, text="举报：河边有人倾倒废渣", address="不知道哪里", name="王五", phone="13800000000")
    page = app_client.get("/intake", headers=seat).text
    assert "举报内容" in page and "举报：河边有人倾倒废渣" in page and "\\u4e3e" not in page
    with connect(fresh_database_url) as c:
        (qid,) = c.execute("select id from quarantine where resolved_at is null").fetchone()
    still = app_client.post(f"/intake/quarantine/{qid}", headers=seat, data={"address": "还是不知道"})
    assert "仍无法受理" in still.text
    with connect(fresh_database_url) as c:
        assert c.execute("select count(*) from quarantine where resolved_at is null").fetchone()[0] == 1
    bad = app_client.post(f"/intake/quarantine/{qid}", headers=seat, data={"lon": "东经117", "lat": "30.945"})
    assert "坐标应为数字" in bad.text
    fixed = app_client.post(f"/intake/quarantine/{qid}", headers=seat,
                            data={"address": "焦化新村2栋", "text": "举报：焦化新村河边有人倾倒废渣"})
    assert "已受理" in fixed.text and f'id="q-{qid}"' not in fixed.text
    with connect(fresh_database_url) as c:
        assert c.execute("select count(*) from quarantine where resolved_at is null").fetchone()[0] == 0
        text, community = c.execute("select x.text, a.name from complaints x join areas a on a.id = x.community_id").fetchone()
    assert text == "举报：焦化新村河边有人倾倒废渣" and community == "焦化新村"
