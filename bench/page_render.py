"""Time to first render of the map pages on a running demo (the sample city), in Chromium.

    python bench/page_render.py [BASE_URL] [--runs N]

For each page and viewport: the server's time for the HTML, the browser's first contentful paint,
and the time until the map has drawn its base layers (MapLibre 'idle'). Every request outside the
app is aborted and counted; the last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

BASE = next((a for a in sys.argv[1:] if a.startswith("http")), "http://127.0.0.1:8000")
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
PAGES = [("chief", "/cases/1", "map"), ("monitor", "/monitoring?sensor=S01&sensor=S02&pollutant=a21028", "sensor-map")]
VIEWPORTS = {"390x844": {"width": 390, "height": 844}, "1400x900": {"width": 1400, "height": 900}}
MAP_IDLE_JS = """(id) => new Promise(done => { const wait = () => { const gd = document.getElementById(id);
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
  if (map && map.loaded()) done(performance.now()); else setTimeout(wait, 20); }; wait(); })"""

results = []
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for user, path, map_id in PAGES:
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            outside: list[str] = []

            def route(r, seen=outside):
                if urlparse(r.request.url).hostname in ("127.0.0.1", None):
                    r.continue_()
                else:
                    seen.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(BASE + "/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", "envpetition-demo")
            page.click("button[type=submit]")
            page.wait_for_url(lambda u: "/login" not in u)
            page.goto(BASE + path)  # warm the cache: plotly.js and the city's GeoJSON, as a day's work would
            page.evaluate(MAP_IDLE_JS, map_id)
            fcp, html, idle = [], [], []
            for _ in range(RUNS):
                t = time.perf_counter()
                page.goto(BASE + path, wait_until="commit")
                html.append((time.perf_counter() - t) * 1000)
                idle.append(page.evaluate(MAP_IDLE_JS, map_id))
                fcp.append(page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime"))
            row = {"page": path, "viewport": name, "html_ms": round(statistics.median(html)),
                   "first_paint_ms": round(statistics.median(fcp)), "map_drawn_ms": round(statistics.median(idle)),
                   "outside_requests": len(outside)}
            print(row)
            results.append(row)
            context.close()
    browser.close()
print(json.dumps({"runs": RUNS, "pages": results}, ensure_ascii=False))
