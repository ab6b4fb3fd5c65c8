"""The bulletin's figures as titled tables: one list that the Word, Excel and HTML writers all use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.filters import CHANNEL_LABELS
from analytics.trend import PATTERN_LABELS
from ingest.classify import CATEGORY_LABELS


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


def pct(value: float | None) -> str:
    """0.1234 → '12.3%'; None → '—'."""
    return "—" if value is None else f"{value * 100:.1f}%"


def signed_pct(value: float | None) -> str:
    """Change as '+12.3%' / '-4.0%'; None (no base) → '—'."""
    return "—" if value is None else f"{value * 100:+.1f}%"


def _team_kpis(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """KPI rows per team summed over the period's months (a month gives exactly the KPI page's rows)."""
    teams: dict[Any, dict[str, Any]] = {}
    for r in rows:
        t = teams.setdefault(r["team"], {"cases": 0, **{k: 0 for k in r["counts"]}})
        t["cases"] += r["cases"]
        for k, v in r["counts"].items():
            t[k] += v

    def rate(a: int, b: int) -> str:
        return pct(round(a / b, 4) if b else None)

    return [[team or "未分派", t["cases"], rate(t["arrive_on_time"], t["arrive_counted"]),
             rate(t["resolved"], t["cases"]), rate(t["satisfied"], t["votes"]),
             rate(t["close_on_time"], t["close_counted"])] for team, t in teams.items()]


def bulletin_tables(f: dict[str, Any]) -> list[Table]:
    """Every table of the bulletin, in reading order."""
    t: list[Table] = []
    intake = f["intake"]
    t.append(Table("intake", "一、受理总体情况 Intake totals", ["项目", "本期", "上期", "环比", "去年同期", "同比"],
                   [[r["item"], r["count"], r["previous"], signed_pct(r["mom"]), r["year_before"], signed_pct(r["yoy"])]
                    for r in intake["rows"]]))
    t.append(Table("transfers", "转办情况（按原因）Transfers by reason", ["原因", "件数"],
                   [[r["reason"], r["count"]] for r in intake["transfers"]] or [["本期无转办", 0]]))
    t.append(Table("channels", "二、受理渠道 Channels", ["渠道", "件数", "占比", "上期", "环比", "去年同期", "同比"],
                   [[r["channel"], r["count"], pct(r["share"]), r["previous"], signed_pct(r["mom"]), r["year_before"],
                     signed_pct(r["yoy"])] for r in f["channels"]]))
    t.append(Table("categories", "三、污染类型 Pollution types (multi-label)", ["类型", "件数", "占比", "上期", "环比"],
                   [[r["category"], r["count"], pct(r["share"]), r["previous"], signed_pct(r["mom"])] for r in f["categories"]],
                   note=f"一件投诉可涉及多种污染类型，占比以不重复投诉 {f['category_base']} 件为基数，合计超过100%。"
                        " / One complaint may name several types: shares sum past 100 %."))
    t.append(Table("industries", "四、被投诉企业所属行业 Industries complained about", ["行业", "件数", "企业（件数）"],
                   [[r["industry"], r["count"], "、".join(r["enterprises"])] for r in f["industries"]]))
    t.append(Table("districts", "五、各区排名 Districts", ["排名", "区", "件数"],
                   [[r["rank"] or "—", r["district"], r["count"]] for r in f["districts"]],
                   note=f"不足 {f['district_min']} 件的区不参与排名。 / Districts under {f['district_min']} complaints are not ranked."))
    tm = f["timeliness"]
    t.append(Table("timeliness", "六、办理时效 Timeliness", ["指标", "应计", "按时", "比率"], [
        ["按时受理 on-time acceptance", tm["accept_counted"], tm["accept_on_time"], pct(tm["accept_rate"])],
        ["按期办结 on-time closure", tm["close_counted"], tm["close_on_time"], pct(tm["close_rate"])]]))
    c = tm["cohort"]
    t.append(Table("cohort", f"60日法定时限核查（{c['period']}登记的案件）60-day statutory check",
                   ["案件", "按期办结", "逾期办结", "逾期未结", "未到期未结", "经批准延期"],
                   [[c.get("cases", 0), c.get("closed_on_time", 0), c.get("closed_late", 0), c.get("open_overdue", 0),
                     c.get("open_in_time", 0), c.get("extended", 0)]]))
    t.append(Table("overdue", "超期未办清单 Overdue list", ["案件", "时限", "到期", "超期天数", "执法队", "层级", "事项"],
                   [[r["case_id"], r["clock"], r["due_at"][:16].replace("T", " "), r["days_over"], r["team"] or "",
                     r["level"], r["title"]] for r in tm["overdue"]]))
    hs = f["hotspots"]
    t.append(Table("hotspots", "七、热点小区 Hotspot communities (Gi*, FDR)",
                   ["排名", "小区", "区", "投诉", "千人投诉率(EB)", "Gi* z", "类别", "时空模式"],
                   [[r["rank"], r["name"], r["district"] or "", r["complaints"], r["eb_rate"], r["gi_z"], r["gi_label"],
                     r["pattern_label"]] for r in hs["hot"]],
                   note="率为每千名居民投诉件数，经经验贝叶斯平滑；Gi* 显著性经错误发现率（FDR）校正。"))
    t.append(Table("emerging", "新兴热点 Emerging hotspots", ["小区", "模式", "逐月件数", "趋势 z", "趋势 p"],
                   [[r["name"], PATTERN_LABELS[r["pattern"]], " / ".join(str(v) for v in r["monthly"]), r["trend_z"],
                     r["trend_p"]] for r in hs["emerging"]], note="月份：" + "、".join(hs["steps"])))
    t.append(Table("repeat_sites", "重复投诉点位（30日内≥3件）Repeat sites", ["序号", "小区", "件数", "30日内最多", "首次", "最近", "类型"],
                   [[r["no"], r["community"] or "（小区外）", r["complaints"], r["most_in_30_days"], r["first_at"][:10],
                     r["last_at"][:10], "、".join(CATEGORY_LABELS.get(c, c) for c in r["categories"])] for r in hs["repeat_sites"]]))
    t.append(Table("repeat_complainants", "重复投诉人（仅计数，不含身份信息）Repeat complainants (counts only)",
                   ["序号", "投诉件数", "30日内最多", "主要小区", "渠道"],
                   [[r["no"], r["complaints"], r["most_in_30_days"], r["community"] or "",
                     "、".join(CHANNEL_LABELS.get(c, c) for c in r["channels"])]
                    for r in hs["repeat_complainants"]]))
    t.append(Table("exceedances", "热点周边超标 Exceedances near hotspots", ["监测点", "因子", "开始", "峰值", "限值", "单位", "邻近小区", "距离(m)"],
                   [[r["sensor"], r["pollutant"], r["started_at"][:16].replace("T", " "), r["peak"], r["limit"], r["unit"] or "",
                     r["community"], r["distance_m"]] for r in f["exceedances_near_hotspots"]]))
    lad = f["ladder"]
    t.append(Table("ladder", "八、说\"不\"提级 Escalation ladder", ["项目", "数量"], [
        ["提级步数 escalation steps", lad["escalation_steps"]], ["升级案件 cases that rose", lad["cases_rose"]],
        ["说\"不\" refusals", lad["refusals"]], ["最终说\"不\" final refusals", lad["final_refusals"]],
        ["专项督办令 supervision orders", lad["supervision_orders"]], ["督办已落实 fulfilled", lad["supervision_fulfilled"]]]))
    t.append(Table("kpis", "九、各执法队考核指标 KPIs per team", ["执法队", "案件", "响应率", "办结率", "满意率", "按期办结率"],
                   _team_kpis(f["kpis"]), note="与考核指标页面同一口径（按案件登记月份统计）。"))
    t.append(Table("typical", "十、典型案例 Typical cases", ["选取规则", "案件", "事项", "状态", "层级", "办理天数", "投诉件数", "投诉内容（已去除身份信息）"],
                   [[r["rule"], r["case_id"], r["title"], r["state"], r["level"], r["days_open"], r["complaints"],
                     " ｜ ".join(r["texts"])] for r in f["typical_cases"]]))
    return t
