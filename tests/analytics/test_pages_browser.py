"""The hotspot, community and bulletin pages in Chromium on the sample city, at desktop and phone widths."""

from __future__ import annotations

import csv
import io


def login(browser, base, username, width=1400):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(120000)  # the hotspot page computes its statistics per request; CI machines are busy
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page, requests


def test_hotspot_page_map_switch_slider_table_and_export(browser, city_server):
    base, username = city_server
    page, requests = login(browser, base, username)
    page.goto(base + "/?period=2026-10&group=odour")
    page.wait_for_selector("#map .maplibregl-canvas", timeout=90000)
    top = page.inner_text("aside.ranked")
    for name in ("世界花园", "迎江花园", "瑞龙公馆"):
        assert name in top
    assert "热点 95%" in top or "热点 99%" in top
    assert page.locator("#map .slider-container").count() == 1  # month slider: Aug, Sep, Oct, this period
    page.get_by_text("千人投诉率", exact=True).click()
    page.wait_for_function("document.querySelector('#map').data[1].visible === true")
    assert page.evaluate("document.querySelector('#map').data[0].visible") is False
    rows_on_page = page.locator("#table-hotspots tbody tr").count()
    link = page.locator("#table-hotspots a", has_text="CSV").get_attribute("href")
    assert "group=odour" in link and "period=2026-10" in link
    body = page.request.get(base + link).body().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert "异味" in " ".join(lines[1]) and "2026-10" in " ".join(lines[1])  # the filter is in the file
    assert len(lines) - 5 == rows_on_page  # title, filter, time, blank, header, then exactly the rows shown
    xlsx = page.request.get(base + link.replace(".csv", ".xlsx"))
    assert xlsx.ok and xlsx.body()[:2] == b"PK"
    page.locator("aside.ranked a", has_text="世界花园").click()
    page.wait_for_selector("#monthly .main-svg", timeout=90000)
    page.wait_for_selector("#calendar .main-svg", timeout=90000)
    assert "铜化有机化工" in page.inner_text("#table-community_enterprises")
    assert "重复投诉人" in page.inner_text(".kpis")
    outside = [u for u in requests if not u.startswith((base, "blob:", "data:"))]  # MapLibre's workers are blobs
    assert outside == [], "every asset must come from the app itself"


def test_pages_fit_a_phone(browser, city_server):
    base, username = city_server
    page, _ = login(browser, base, username, width=390)
    for path in ("/?period=2026-08", "/communities/1?period=2026-09", "/bulletins"):
        response = page.goto(base + path)
        assert response is not None and response.status in (200, 404)
        page.wait_for_timeout(500)
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, path  # wide tables scroll inside


def test_bulletin_page_issues_and_serves_the_documents(browser, city_server):
    base, username = city_server
    page, _ = login(browser, base, username)
    page.goto(base + "/bulletins")
    page.fill("input[name=period]", "2026-W37")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#table-bulletins td:has-text('2026-W37')", timeout=120000)
    word = page.locator("#table-bulletins a", has_text="Word").first.get_attribute("href")
    assert page.request.get(base + word).body()[:2] == b"PK"
    html = page.locator("#table-bulletins a", has_text="网页").first.get_attribute("href")
    page.goto(base + html)
    assert "周报" in page.inner_text("h1")
    assert page.locator("img").count() >= 2
