"""The case page and the monitoring page in Chromium, phone and desktop: maps with the city's labels,
nothing fetched from outside 127.0.0.1, no sideways scroll, AA contrast, usable from the keyboard."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import shapely

from envpetition import auth
from envpetition.areas import Area, save_area
from envpetition.basemap import MapFeature, replace_layer
from envpetition.db import connect
from monitoring import storage
from tests.dashboard.browser_checks import (
    DESKTOP,
    PHONE,
    contrast_failures,
    guard_requests,
    login,
    rendered_labels,
    sideways_overflow,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 9, 1, 0, 0, tzinfo=CST)
PASSWORD = "browser-pass-1"
LABEL_LAYERS = ["place-label", "road-label", "water-label", "district-label", "community-label", "enterprise-label"]


def _city(url: str) -> int:
    """A district with a grid, one community, one plant, a road, a lake, a station; three monitors; one case."""
    with connect(url, autocommit=True) as c:
        for name, role in (("chief", "section_chief"), ("monitor", "monitoring")):
            auth.create_user(c, name, PASSWORD, role, display_name=name)
        save_area(c, Area("district", "铜官区", shapely.box(117.78, 30.92, 117.84, 30.96)), now=T0)
        save_area(c, Area("grid", "第一网格", shapely.box(117.78, 30.92, 117.81, 30.96)), now=T0)
        community, _ = save_area(c, Area("community", "世界花园", shapely.box(117.800, 30.940, 117.803, 30.943)), now=T0)
        plant, _ = save_area(c, Area("enterprise", "铜化有机化工", shapely.box(117.808, 30.944, 117.811, 30.946),
                                     attributes={"industry": "化工"}), now=T0)
        with c.transaction():
            replace_layer(c, "road", [MapFeature("road", shapely.LineString([(117.78, 30.938), (117.84, 30.938)]), "长江路")], now=T0)
            replace_layer(c, "water", [MapFeature("water", shapely.box(117.790, 30.944, 117.795, 30.948), "天井湖")], now=T0)
            replace_layer(c, "place", [MapFeature("place", shapely.Point(117.806, 30.936), "铜陵站", {"class": "station"})], now=T0)
        c.execute("insert into sensors (id, kind, name, lon, lat, enterprise_id, pollutants, units) values "
                  "('S01', 'fixed', '铜化厂界西南', 117.807, 30.943, %s, '{a21028,a21001}', '{mg/m3,mg/m3}'), "
                  "('S02', 'fixed', '世界花园微站', 117.802, 30.944, null, '{a21028}', '{mg/m3}'), "
                  "('M01', 'met', '迎江路气象站', 117.812, 30.95, null, '{a01007,a01008}', '{m/s,deg}')", (plant,))
        rows = []
        for h in range(48):
            ts = T0 + timedelta(hours=h)
            rows += [(ts, "S01", "a21028", 0.004 + 0.002 * (h % 5), None), (ts, "S02", "a21028", 0.003 + 0.001 * (h % 3), None),
                     (ts, "S01", "a21001", 0.2, None), (ts, "M01", "a01008", (h * 37) % 360, None),
                     (ts, "M01", "a01007", 1 + h % 4, None)]
        storage.prepare_connection(c)  # hourly values at S01 0.004-0.012, S02 0.003-0.005; the last hour 0.008 / 0.005
        with c.transaction():
            storage.store_rows(c, [(t, s, p, v, f, None, None, None) for t, s, p, v, f in rows], maintain_rollups=True)
        case_id = c.execute("insert into cases (title, opened_at, lon, lat, community_id, categories) values "
                            "('世界花园 · 异味', %s, 117.8015, 30.9415, %s, '{odour}') returning id",
                            (T0 + timedelta(hours=40), community)).fetchone()[0]
    return int(case_id)


@pytest.fixture
def city(fresh_database_url: str) -> int:
    return _city(fresh_database_url)


def _page(browser: Any, viewport: dict[str, int]) -> Any:
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(120_000)  # a machine busy with other suites parses plotly.js and draws maps slowly
    return page


def _common_checks(page: Any, outside: list[str]) -> None:
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert sideways_overflow(page) == 0
    assert contrast_failures(page) == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1400x900"])
def test_case_page_map_shows_the_city_with_chinese_labels_offline(browser: Any, live_server: str, city: int,
                                                                  viewport: dict[str, int]) -> None:
    page = _page(browser, viewport)
    outside = guard_requests(page, live_server)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if "glyph" in m.text.lower() else None)
    login(page, live_server, "chief", PASSWORD)
    page.goto(f"{live_server}/cases/{city}")
    # drawn without a glyph server; at 390 px one may give way to another label
    rendered_labels(page, "map", LABEL_LAYERS, ["铜陵站", "长江路", "天井湖", "世界花园", "铜化有机化工"], at_least=3)
    assert warnings == []  # no "Unable to load glyph range": nothing was asked of a glyph server
    around = page.inner_text(".around")
    assert "铜化有机化工" in around and "S01 铜化厂界西南" in around and "M01" in around
    traces = page.evaluate("document.getElementById('map').data.map(t => t.name)")
    assert traces == ["小区", "企业 enterprises", "监测点 monitors", "投诉位置 complaint"]
    _common_checks(page, outside)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1400x900"])
def test_monitoring_page_several_sensors_roses_and_latest_values(browser: Any, live_server: str, city: int,
                                                                 viewport: dict[str, int]) -> None:
    page = _page(browser, viewport)
    outside = guard_requests(page, live_server)
    login(page, live_server, "monitor", PASSWORD)
    page.goto(f"{live_server}/monitoring?sensor=S01&sensor=S02&pollutant=a21028")
    page.wait_for_selector("#series .main-svg")
    names = page.evaluate("document.getElementById('series').data.map(t => t.name)")
    assert names == ["S01 铜化厂界西南", "S02 世界花园微站"]
    assert "硫化氢 H₂S hydrogen sulphide · mg/m³" in page.inner_text("#series")
    assert page.locator(".rose").count() == 3  # the met station's wind rose, a pollution rose per site
    page.wait_for_selector("#rose-1 .main-svg")
    assert "风玫瑰 wind rose · 48 小时" in page.inner_text("#rose-1")
    latest = page.inner_text(".latest-col")
    assert "S01 铜化厂界西南\t0.008\t09-02 23:00" in latest and "S02 世界花园微站\t0.005" in latest
    rendered_labels(page, "sensor-map", LABEL_LAYERS, ["铜官区", "长江路", "铜陵站", "天井湖"], at_least=1)
    coloured = page.evaluate("document.getElementById('sensor-map').data.filter(t => t.name === '最新值')[0].marker.color")
    assert sorted(coloured) == pytest.approx([0.005, 0.008])
    _common_checks(page, outside)


def test_monitoring_page_works_from_the_keyboard(browser: Any, live_server: str, city: int) -> None:
    page = _page(browser, DESKTOP)
    outside = guard_requests(page, live_server)
    login(page, live_server, "monitor", PASSWORD)
    page.goto(f"{live_server}/monitoring?sensor=S01&pollutant=a21028")

    def tab_to(selector: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("input[value=S02]")
    page.keyboard.press("Space")
    tab_to("button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sensor=S01" in page.url and "sensor=S02" in page.url
    page.wait_for_selector("#series .main-svg")
    assert page.evaluate("document.getElementById('series').data.length") == 2
    assert outside == []
