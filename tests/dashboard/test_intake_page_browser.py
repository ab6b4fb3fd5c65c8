"""The intake seat in a real browser, keyboard only, at phone and desktop size; nothing leaves 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from envpetition import auth
from envpetition.db import connect
from tests.dashboard.contrast import contrast_failures
from tests.dashboard.test_intake_page import _city


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 360, "height": 740},
                                      {"width": 1400, "height": 900}], ids=["390", "360", "1400"])
def test_a_call_is_typed_and_joined_to_a_nearby_case_without_a_mouse(browser, live_server, fresh_database_url,
                                                                     tmp_path, viewport):
    _city(fresh_database_url)
    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, "wang", "browser-pass-1", "intake", display_name="受理坐席 王敏")
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "browser-pass-1")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/login"), wait_until="commit")
    page.goto(live_server + "/intake")

    # First call: focus starts in the text box; type, Tab to the address, Ctrl+Enter registers.
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("焦化新村晚上化工异味很重")
    page.keyboard.press("Tab")
    page.keyboard.type("焦化新村3栋")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=已受理")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # Second call about the same place: the open case is suggested while typing; Alt+J joins it.
    page.keyboard.press("Alt+n")
    page.keyboard.type("又闻到焦化新村那边的臭味")
    page.keyboard.press("Tab")
    page.keyboard.type("焦化新村5栋")
    page.wait_for_selector("#sugg-list li")
    page.keyboard.press("Alt+j")
    assert "将并入案件" in page.inner_text("#join-note")
    assert contrast_failures(page) == []
    page.screenshot(path=str(tmp_path / f"intake-{viewport['width']}.png"), full_page=True)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=并入已有案件")
    with connect(fresh_database_url) as c:
        assert c.execute("select count(distinct case_id), count(*) from complaints").fetchone() == (1, 2)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    hosts = {urlparse(u).hostname for u in seen if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
