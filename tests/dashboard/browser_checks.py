"""Checks every page test in Chromium can share: nothing leaves 127.0.0.1, no sideways scroll, contrast, map labels."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}

# WCAG 2.1 contrast of each visible text node's colour against the first opaque background behind it.
CONTRAST_JS = """
() => {
  const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const bg = (el) => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
                       if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement; const text = n.textContent.trim();
    if (!text || !el || el.closest('script,style,svg,.js-plotly-plot,option')) continue;
    const st = getComputedStyle(el); const box = el.getBoundingClientRect();
    if (st.visibility === 'hidden' || st.display === 'none' || box.width === 0) continue;
    const fg = rgba(st.color).slice(0, 3), b = bg(el);
    const [hi, lo] = [lum(fg), lum(b)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push(`${text.slice(0, 30)} ${ratio.toFixed(2)} < ${need}`);
  }
  return out;
}
"""


def guard_requests(page: Any, base: str) -> list[str]:
    """Abort and record every request to a host other than the app's own 127.0.0.1."""
    host = urlparse(base).hostname
    outside: list[str] = []

    def route(r: Any) -> None:
        url = urlparse(r.request.url)
        if url.scheme in ("data", "blob") or url.hostname == host:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0 = no horizontal scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def contrast_failures(page: Any) -> list[str]:
    return list(page.evaluate(CONTRAST_JS))


def rendered_labels(page: Any, div_id: str, layer_ids: list[str], expected: list[str], at_least: int | None = None,
                    timeout_ms: int = 120_000) -> list[str]:
    """Names MapLibre placed on screen in the given symbol layers of a plotly map, once ``at_least`` of
    ``expected`` are (default all; labels that collide are hidden, so a small screen may show fewer)."""
    need = len(expected) if at_least is None else at_least
    script = """([id, layers, expected, need]) => { const gd = document.getElementById(id);
      const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
      if (!map || !map.isStyleLoaded()) return null;
      const found = map.queryRenderedFeatures({layers}).map(f => f.properties.name);
      return expected.filter(name => found.includes(name)).length >= need ? found : null; }"""
    handle = page.wait_for_function(script, arg=[div_id, layer_ids, expected, need], timeout=timeout_ms)
    return list(handle.json_value())
