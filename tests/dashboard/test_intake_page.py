"""The intake seat registers a complaint on its page; a bad one lands in the quarantine list."""

import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.runtime import local_now
from envpetition.teams import save_team


def _city(url):
    with connect(url, autocommit=True) as c:
        now = local_now()
        save_area(c, Area("community", "焦化新村", shapely.box(117.80, 30.94, 117.81, 30.95)), now=now)
        save_area(c, Area("grid", "第一网格", shapely.box(117.79, 30.93, 117.82, 30.96), attributes={"team": "执法一队"}), now=now)
        save_team(c, "执法一队")


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
    assert page.text.count("<tr><td>") >= 1  # the row is listed for a person to fix
    assert app_client.get("/intake", headers=make_user("team_member")).status_code == 403
