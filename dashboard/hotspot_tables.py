"""The tables of the hotspot, community and bulletin pages: one definition for the page and its exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.filters import CHANNEL_LABELS
from ingest.classify import CATEGORY_LABELS


@dataclass
class PageTable:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    links: list[str | None] | None = None  # per row: where the first column links to


def ranked_communities(stats: dict[str, Any]) -> PageTable:
    rows = stats["communities"]
    return PageTable("hotspots", "热点小区排名 ranked communities",
                     ["排名", "小区", "区", "投诉", "人口", "千人率", "EB千人率", "Gi* z", "Gi* 类别", "时空模式"],
                     [[r["rank"], r["name"], r["district"] or "", r["complaints"], r["population"], r["raw_rate"],
                       r["eb_rate"], r["gi_z"], r["gi_label"], r["pattern_label"]] for r in rows],
                     [f"/communities/{r['id']}" for r in rows])


def grid_cells(stats: dict[str, Any]) -> PageTable:
    return PageTable("cells", "小区外投诉网格 grid cells outside communities",
                     ["网格", "边长(m)", "投诉", "Gi* z", "Gi* 类别", "西", "南", "东", "北"],
                     [[c["id"], c["cell_m"], c["complaints"], c["gi_z"], c["gi_label"], *c["bounds"]]
                      for c in sorted(stats["cells"], key=lambda c: (-c["gi_class"], -c["complaints"]))])


def repeat_sites(stats: dict[str, Any]) -> PageTable:
    rows = stats["repeat_sites"]
    return PageTable("repeat_sites", "重复投诉点位（30日内≥3件）repeat sites",
                     ["序号", "小区", "件数", "30日内最多", "首次", "最近", "主要类型", "经度", "纬度"],
                     [[r["no"], r["community"] or "（小区外）", r["complaints"], r["most_in_30_days"], r["first_at"][:16],
                       r["last_at"][:16], "、".join(CATEGORY_LABELS.get(c, c) for c in r["categories"]), r["lon"], r["lat"]]
                      for r in rows],
                     [f"/communities/{r['community_id']}" if r["community_id"] else None for r in rows])


def repeat_complainants(stats: dict[str, Any]) -> PageTable:
    rows = stats["repeat_complainants"]
    return PageTable("repeat_complainants", "重复投诉人（仅计数，不显示身份）repeat complainants",
                     ["序号", "件数", "30日内最多", "首次", "最近", "渠道", "涉及小区"],
                     [[r["no"], r["complaints"], r["most_in_30_days"], r["first_at"][:10], r["last_at"][:10],
                       "、".join(CHANNEL_LABELS.get(c, c) for c in r["channels"]), "、".join(r["communities"])] for r in rows])


HOTSPOT_TABLES = {"hotspots": ranked_communities, "cells": grid_cells, "repeat_sites": repeat_sites,
                  "repeat_complainants": repeat_complainants}
