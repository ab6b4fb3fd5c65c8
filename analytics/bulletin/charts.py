"""Chart images (PNG) for the bulletin, drawn with matplotlib's Agg backend (no browser, no network).

Chinese labels need a CJK font on the machine (e.g. Debian ``fonts-wqy-microhei`` or
``fonts-noto-cjk``); without one the charts fall back to English labels rather than draw boxes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC",
             "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed CJK font family, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _label(zh: str, en: str) -> str:
    return zh if cjk_font() else en


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    if font:
        matplotlib.rcParams["font.family"] = [font, "DejaVu Sans"]
    return Figure(figsize=(width, height), dpi=100, layout="tight")


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # the tight layout engine fits it; bbox_inches="tight" would draw twice
    return buf.getvalue()


def bar_chart(labels: list[str], values: list[float], *, title: str, horizontal: bool = True,
              color: str = "#1f6f43") -> bytes:
    """A plain bar chart as PNG bytes."""
    fig = _figure(6.4, max(2.2, 0.32 * len(labels) + 1.0) if horizontal else 3.2)
    ax = fig.add_subplot()
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color=color)
        for i, v in enumerate(values[::-1]):
            ax.text(v, i, f" {v:g}", va="center", fontsize=8)
    else:
        ax.bar(labels, values, color=color)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def bulletin_charts(f: dict[str, Any]) -> dict[str, bytes]:
    """The bulletin's charts: channels, pollution types, hotspot communities by smoothed rate."""
    from ingest.classify import CATEGORY_LABELS

    charts: dict[str, bytes] = {}
    channel_keys = {"12369热线": "12369", "12345热线": "12345", "来信来访": "letters", "网上投诉": "online"}
    if f["channels"]:
        labels = [_label(r["channel"], channel_keys.get(r["channel"], r["channel"])) for r in f["channels"]]
        charts["channels"] = bar_chart(labels, [r["count"] for r in f["channels"]],
                                       title=_label("各渠道受理量", "Complaints by channel"))
    if f["categories"]:
        rows = f["categories"][:10]
        labels = [_label(CATEGORY_LABELS.get(r["key"], r["key"]), r["key"]) for r in rows]
        charts["categories"] = bar_chart(labels, [r["count"] for r in rows], color="#b5651d",
                                         title=_label("污染类型（可多选）", "Pollution types (multi-label)"))
    top = sorted(f["hotspots"]["hot"] or [], key=lambda r: -(r["eb_rate"] or 0))[:10]
    if top:
        labels = [_label(r["name"], r.get("code") or str(r["id"])) for r in top]
        charts["hotspots"] = bar_chart(labels, [r["eb_rate"] or 0 for r in top], color="#b22222",
                                       title=_label("热点小区 千人投诉率（EB平滑）", "Hot communities: rate per 1,000 (EB)"))
    return charts
