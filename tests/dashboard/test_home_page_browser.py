"""The first page in a real browser: log in, see the map drawn by the locally served plotly.js."""

import shapely

from envpetition.city import CityBuilder
from envpetition.db import connect
from envpetition.runtime import local_now


def _seed(url):
    with connect(url, autocommit=True) as c:
        city = CityBuilder(c, now=local_now())
        city.user("chief", "browser-pass-1", "section_chief", display_name="陈科长")
        community_id = city.community("世界花园", shapely.box(117.80, 30.94, 117.802, 30.942))
        c.execute(
            "insert into complaints (channel, external_id, received_at, text, community_id) "
            "values ('12369', 'B-1', now(), '夜里有刺鼻气味', %s)", (community_id,))


def test_login_then_map_and_case_table_render(browser, live_server, fresh_database_url, tmp_path):
    _seed(fresh_database_url)
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#map .maplibregl-canvas", timeout=90000)  # MapLibre (white-bg style, no tiles)
    assert "陈科长" in page.inner_text("header")
    assert page.evaluate("document.querySelector('#map').data[0].locations.length") == 1  # the community, filled
    assert "世界花园" in page.inner_text(".ranked")
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    outside = [u for u in requests if not u.startswith((live_server, "blob:", "data:"))]  # MapLibre workers: blobs
    assert outside == [], "every asset must come from the app itself"
