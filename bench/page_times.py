"""First render of the team app and the intake seat on a running demo, in Chromium at phone and desktop size.

    python bench/page_times.py [BASE_URL] [--runs N]

For each page and size: server response time (navigation timing ``responseEnd - requestStart``) and
first contentful paint, median of N loads after one warm-up (a logged-in user, cache kept like a
real browser). Not run by pytest.
"""

from __future__ import annotations

import argparse
import statistics

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = [("chief", "/team?team={team}"), ("team1", "/team"), ("intake", "/intake")]
SIZES = {"390x844": {"width": 390, "height": 844}, "1400x900": {"width": 1400, "height": 900}}
TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {server: n.responseEnd - n.requestStart, fcp: fcp ? fcp.startTime : null, dcl: n.domContentLoadedEventEnd,
          cards: document.querySelectorAll('article.order').length}; }"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--team", type=int, default=1)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, viewport in SIZES.items():
            for user, path in PAGES:
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                page.goto(args.base + "/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", "envpetition-demo")
                page.click("button[type=submit]")
                page.wait_for_load_state()
                url = args.base + path.format(team=args.team)
                page.goto(url)  # warm-up
                runs = []
                for _ in range(args.runs):
                    page.goto(url)
                    page.wait_for_load_state("load")
                    runs.append(page.evaluate(TIMING))
                server = statistics.median(r["server"] for r in runs)
                paints = [r["fcp"] for r in runs if r["fcp"] is not None]
                fcp = f"{statistics.median(paints):6.0f} ms" if paints else "   n/a"
                dcl = statistics.median(r["dcl"] for r in runs)
                print(f"{size:>9} {user:<7} {path.format(team=args.team):<14} orders {runs[-1]['cards']:>3}  "
                      f"server {server:6.0f} ms  DOM ready {dcl:6.0f} ms  first contentful paint {fcp}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
