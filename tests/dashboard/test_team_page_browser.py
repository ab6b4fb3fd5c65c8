"""The team app in a real browser at phone and desktop size: acknowledge, then a dead zone, then the network back.

Offline (Playwright ``context.set_offline``) the team departs and checks in on arrival with a photo;
the page queues both in IndexedDB and shows a banner; back online, the queue is sent and exactly one
event per action is recorded, the arrival at the device's time with its distance to the case.
Every request the page makes stays on 127.0.0.1.
"""

from __future__ import annotations

import io
from urllib.parse import urlparse

import pytest
from PIL import Image

from dispatch.cases import NewCase, open_case
from envpetition.calendar import seed_calendar
from envpetition.city import CityBuilder
from envpetition.db import connect
from envpetition.runtime import local_now
from tests.dashboard.contrast import contrast_failures

SITE = {"longitude": 117.8120, "latitude": 30.9450}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


def _seed(url):
    now = local_now()
    with connect(url, autocommit=True) as c:
        seed_calendar(c, [now.year, now.year + 1])
        city = CityBuilder(c, now=now)
        team = city.team("西区执法队")
        city.user("li", "browser-pass-1", "team_member", display_name="执法队员 李强", team=team)
        city.user("chen", "browser-pass-1", "section_chief", display_name="科长 陈刚")
        case_id = open_case(c, NewCase("焦化新村夜间异味", opened_at=now, priority="urgent", team_id=team,
                                       lon=SITE["longitude"], lat=SITE["latitude"]),
                            actor="intake", role="intake", now=now)
        other = open_case(c, NewCase("铜化厂界粉尘", opened_at=now, team_id=team, lon=117.80, lat=30.93),
                          actor="intake", role="intake", now=now)
    return case_id, other


def _login(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"), wait_until="commit")


def _watch_requests(page, base):
    """Every URL the page asks for; the test checks none leaves the app's own host."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def _only_local(urls, base):
    hosts = {urlparse(u).hostname for u in urls if not u.startswith(("data:", "blob:"))}
    assert hosts <= {urlparse(base).hostname}, hosts


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width} px wide at {page.viewport_size['width']} px"


def _photo(tmp_path):
    path = tmp_path / "现场照片.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 56.0, 42.0), 3: "E", 4: (117.0, 48.0, 43.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), "#557799").save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def _events(url, case_id, kind):
    with connect(url, autocommit=True) as c:
        return c.execute("select at, data from case_events where case_id = %s and kind = %s order by id",
                         (case_id, kind)).fetchall()


def test_team_app_queues_actions_offline_and_sends_each_once(browser, live_server, fresh_database_url, tmp_path):
    case_id, _ = _seed(fresh_database_url)
    context = browser.new_context(viewport=PHONE, geolocation=SITE, permissions=["geolocation"],
                                  locale="zh-CN", has_touch=True, is_mobile=True)
    page = context.new_page()
    seen = _watch_requests(page, live_server)
    _login(page, live_server, "li")
    page.goto(live_server + "/team")
    page.wait_for_selector(f"#case-{case_id}")
    # The 1 s target is measured on the sample city by bench/page_times.py on a quiet machine; here
    # the suite shares two cores with everything else, so only a gross regression fails.
    first_paint_ms = page.evaluate("performance.getEntriesByType('paint').map(e => e.startTime)[0] || 0")
    assert 0 < first_paint_ms < 3000, first_paint_ms
    _no_horizontal_scroll(page)
    card = page.locator(f"#case-{case_id}")
    assert "焦化新村夜间异味" in card.inner_text()
    assert page.locator("article.order").first.get_attribute("id") == f"case-{case_id}"  # urgent: due first

    card.get_by_role("button", name="确认接收").click()
    page.wait_for_selector(f"#case-{case_id} button[value=acknowledge]", state="detached")  # card re-rendered
    assert "已确认接收" in page.inner_text("#flash")

    context.set_offline(True)
    page.locator(f"#case-{case_id} button[value=depart]").click()
    page.wait_for_function("document.getElementById('queue-banner').textContent.includes('1 项操作')")
    page.locator(f"#case-{case_id} input[type=file]").set_input_files(str(_photo(tmp_path)))
    page.locator(f"#case-{case_id} button[value=arrive]").click()
    page.wait_for_function("document.getElementById('queue-banner').textContent.includes('2 项操作、1 个文件')")
    banner = page.inner_text("#queue-banner")
    assert "离线" in banner
    assert "待发送" in page.inner_text(f"#case-{case_id} .queued")
    page.screenshot(path=str(tmp_path / "team-offline-390.png"), full_page=True)
    assert _events(fresh_database_url, case_id, "depart") == []

    page.wait_for_timeout(1500)  # the arrival happened now; it is sent later
    context.set_offline(False)
    page.wait_for_function("document.getElementById('queue-banner').hidden", timeout=20000)
    page.wait_for_selector(f"#case-{case_id} button[value=investigate]")
    page.evaluate("window.envpetitionTeam.flush()")  # a second flush (e.g. another tab) sends nothing again

    departs, arrivals = _events(fresh_database_url, case_id, "depart"), _events(fresh_database_url, case_id, "arrive")
    assert len(departs) == 1 and len(arrivals) == 1
    at, data = arrivals[0]
    assert data["time_flag"] in ("live", "queued") and data["distance_m"] < 50 and data["off_site"] is False
    with connect(fresh_database_url, autocommit=True) as c:
        applied = c.execute("select count(*), max(received_at) from field_actions where case_id = %s", (case_id,)).fetchone()
        files = c.execute("select width, height, exif_lat from field_attachments where case_id = %s", (case_id,)).fetchall()
    assert applied[0] == 3 and at < applied[1]  # recorded when it happened, received later
    assert len(files) == 1 and max(files[0][:2]) == 1600 and abs(files[0][2] - 30.945) < 1e-3
    card = page.locator(f"#case-{case_id}")
    assert "到场打卡" in card.inner_text() and "距案发点" in card.inner_text()

    card.locator("summary").click()
    page.wait_for_selector(f"#map-{case_id} .maplibregl-canvas, #map-{case_id} canvas", timeout=15000)
    _no_horizontal_scroll(page)
    assert contrast_failures(page) == []
    page.screenshot(path=str(tmp_path / "team-390.png"), full_page=True)
    _only_local(seen, live_server)
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 360, "height": 740}, DESKTOP], ids=["390", "360", "1400"])
def test_team_page_fits_keyboard_works_and_stays_local(browser, live_server, fresh_database_url, tmp_path, viewport):
    case_id, _ = _seed(fresh_database_url)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    seen = _watch_requests(page, live_server)
    _login(page, live_server, "chen")
    page.goto(live_server + "/team")
    page.wait_for_selector(f"#case-{case_id}")
    _no_horizontal_scroll(page)
    assert contrast_failures(page) == []
    # Keyboard only: tab to the first order's acknowledge button and press Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "acknowledge":
            break
    assert page.evaluate("document.activeElement.value") == "acknowledge"
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('flash').textContent.includes('已确认接收')")
    assert page.evaluate("navigator.serviceWorker.getRegistration('/team').then(r => !!r)")
    manifest = page.request.get(live_server + "/team/manifest.webmanifest").json()
    assert manifest["start_url"] == "/team" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    assert page.request.get(live_server + manifest["icons"][1]["src"]).status == 200
    page.screenshot(path=str(tmp_path / f"team-{viewport['width']}.png"), full_page=False)
    _only_local(seen, live_server)
    context.close()
