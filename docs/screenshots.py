"""Take the README's screenshots from a running demo: `python docs/screenshots.py [BASE_URL] [NAME.png ...]`.

Uses Debian's Chromium through Playwright, like the page tests. The machine needs a CJK font
(`apt-get install fonts-wqy-microhei` or `fonts-noto-cjk`), or the Chinese shows as boxes.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = {"dashboard.png": ("director", "/?period=2026-10&group=odour&mode=pattern"), "monitoring.png": ("monitor", "/monitoring?sensor=S01&sensor=S02&sensor=S09&pollutant=a21001"),
         "intake.png": ("intake", "/intake"), "board.png": ("chief", "/board"), "team.png": ("chief", "/team?team=6"), "kpi.png": ("director", "/kpi"),
         "case.png": ("chief", "/cases/1"),
         "monitoring-phone.png": ("monitor", "/monitoring?sensor=S01&sensor=S02&pollutant=a21001", 390, 844),
         "case-phone.png": ("chief", "/cases/1", 390, 844)}

ONLY = set(sys.argv[2:])  # retake just these, e.g. case.png
# Every plotly map on the page has drawn its tiles and layers (MapLibre 'loaded').
MAPS_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].every(gd => {
  const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  return !gd._fullLayout || !gd._fullLayout.map || (sub && sub.map && sub.map.loaded()); })"""

PAGES |= {"team-phone.png": ("chief", "/team?team=6", 390, 844), "intake-phone.png": ("intake", "/intake", 390, 844)}

with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for name, (user, path, *size) in PAGES.items():
        if ONLY and name not in ONLY:
            continue
        width, height = size or (1400, 900)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(180_000)  # a busy machine parses plotly.js slowly
        page.goto(BASE + "/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", "envpetition-demo")
        page.click("button[type=submit]")
        page.goto(BASE + path, wait_until="networkidle")  # the maps' GeoJSON too
        page.wait_for_function(MAPS_DRAWN)
        page.wait_for_timeout(2500)
        page.screenshot(path=str(OUT / name), full_page=False)
        print("wrote", OUT / name)
    browser.close()
