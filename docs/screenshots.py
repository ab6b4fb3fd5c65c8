"""Take the README's screenshots from a running demo: `python docs/screenshots.py [BASE_URL]`.

Uses Debian's Chromium through Playwright, like the page tests.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = {"dashboard.png": ("director", "/?period=2026-10&group=odour&mode=pattern"), "monitoring.png": ("monitor", "/monitoring?sensor=S01&bucket=1+hour"),
         "intake.png": ("intake", "/intake"), "board.png": ("chief", "/board"), "team.png": ("chief", "/team?team=6"), "kpi.png": ("director", "/kpi")}

with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for name, (user, path) in PAGES.items():
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(BASE + "/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", "envpetition-demo")
        page.click("button[type=submit]")
        page.goto(BASE + path)
        page.wait_for_timeout(2500)
        page.screenshot(path=str(OUT / name), full_page=False)
        print("wrote", OUT / name)
    browser.close()
