"""Every figure of a bulletin for one period, read through the owning packages' functions.

The shape follows the national 12369 monthly report and provincial bulletins: intake totals with
环比 and 同比, channels, pollution types (multi-label), industries, districts, timeliness, hotspots,
the escalation ladder, KPIs per team, typical cases. Complainant identity never enters here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.filters import CHANNEL_LABELS, HotspotFilter
from analytics.hotspots import HotspotSettings, hotspot_statistics
from analytics.periods import Period
from dispatch import kpi
from dispatch import views as case_views
from envpetition.areas import current_areas
from envpetition.geo_crs import distance_m
from ingest import views as complaints_views
from ingest.classify import CATEGORY_LABELS
from ingest.views import ComplaintFilter
from monitoring import queries as monitoring_queries
from monitoring.sensors import list_sensors

DISTRICT_MIN = 5          # districts with fewer complaints are listed but not ranked
NEAR_HOTSPOT_M = 2000.0   # exceedances within this distance of a hot community
TYPICAL_PER_RULE = 1


def change(now_value: float, before: float) -> float | None:
    """Relative change (环比 / 同比) as a fraction; None when the base is zero."""
    return None if not before else round((now_value - before) / before, 4)


def _share(part: float, whole: float) -> float | None:
    return None if not whole else round(part / whole, 4)


def _intake(conn: Any, period: Period) -> dict[str, Any]:
    totals = {p: complaints_views.intake_totals(conn, ComplaintFilter(q.start, q.end))
              for p, q in (("now", period), ("previous", period.previous), ("year_before", period.year_before))}
    now = totals["now"]
    rows = []
    for key, label in (("received", "受理登记 received"), ("with_case", "立案办理 accepted"),
                       ("duplicates", "重复件合并（不予重复受理）duplicates merged")):
        rows.append({"item": label, "count": now[key], "previous": totals["previous"][key],
                     "mom": change(now[key], totals["previous"][key]), "year_before": totals["year_before"][key],
                     "yoy": change(now[key], totals["year_before"][key])})
    transfers = case_views.transfers_by_reason(conn, start=period.start, end=period.end)
    return {"totals": now, "rows": rows, "transfers": [{"reason": k, "count": v} for k, v in transfers.items()],
            "transferred": sum(transfers.values())}


def _channels(conn: Any, period: Period) -> list[dict[str, Any]]:
    now = complaints_views.counts_by(conn, ComplaintFilter(period.start, period.end), "channel")
    prev = complaints_views.counts_by(conn, ComplaintFilter(period.previous.start, period.previous.end), "channel")
    yoy = complaints_views.counts_by(conn, ComplaintFilter(period.year_before.start, period.year_before.end), "channel")
    total = sum(now.values())
    keys = sorted(set(now) | set(prev), key=lambda k: -now.get(k, 0))
    return [{"channel": CHANNEL_LABELS.get(k, k), "count": now.get(k, 0), "share": _share(now.get(k, 0), total),
             "previous": prev.get(k, 0), "mom": change(now.get(k, 0), prev.get(k, 0)),
             "year_before": yoy.get(k, 0), "yoy": change(now.get(k, 0), yoy.get(k, 0))} for k in keys]


def _categories(conn: Any, period: Period, events: int) -> list[dict[str, Any]]:
    now = complaints_views.counts_by(conn, ComplaintFilter(period.start, period.end), "category")
    prev = complaints_views.counts_by(conn, ComplaintFilter(period.previous.start, period.previous.end), "category")
    return [{"category": CATEGORY_LABELS.get(k, k), "key": k, "count": n, "share": _share(n, events),
             "previous": prev.get(k, 0), "mom": change(n, prev.get(k, 0))} for k, n in now.items()]


def _districts_and_industries(conn: Any, period: Period) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    where = ComplaintFilter(period.start, period.end)
    by_district = complaints_views.counts_by(conn, where, "district")
    by_enterprise = complaints_views.counts_by(conn, where, "enterprise")
    areas = {a.id: a for a in current_areas(conn, ("district", "enterprise"))}
    districts = []
    for did, n in sorted(by_district.items(), key=lambda kv: -kv[1]):
        name = areas[did].name if did in areas else "未定位 unlocated"
        districts.append({"district": name, "count": n, "ranked": did is not None and n >= DISTRICT_MIN})
    rank = 0
    for row in districts:
        row["rank"] = (rank := rank + 1) if row["ranked"] else None
    industries: dict[str, dict[str, Any]] = {}
    for eid, n in by_enterprise.items():
        area = areas.get(eid)
        industry = str(area.attributes.get("industry") or "未分类") if area else "未分类"
        entry = industries.setdefault(industry, {"industry": industry, "count": 0, "enterprises": []})
        entry["count"] += n
        if area:
            entry["enterprises"].append(f"{area.name}（{n}）")
    return districts, sorted(industries.values(), key=lambda r: -r["count"])


def _timeliness(conn: Any, period: Period, now: datetime, kpi_rows: list[dict[str, Any]]) -> dict[str, Any]:
    accept = case_views.accept_timeliness(conn, start=period.start, end=period.end, now=now)
    close_counted = sum(r["counts"]["close_counted"] for r in kpi_rows)
    close_on_time = sum(r["counts"]["close_on_time"] for r in kpi_rows)
    cohort_period = period.shifted(-2) if period.kind == "month" else period.previous
    at = min(now, period.end)
    return {
        "accept_counted": accept["counted"], "accept_on_time": accept["on_time"],
        "accept_rate": _share(accept["on_time"], accept["counted"]),
        "close_counted": close_counted, "close_on_time": close_on_time,
        "close_rate": _share(close_on_time, close_counted),
        "overdue": [{"case_id": r["case_id"], "clock": r["kind"], "due_at": r["due_at"].isoformat(),
                     "days_over": float(r["days_over"]), "team": r["team"], "title": r["title"], "level": r["level"]}
                    for r in case_views.overdue_clocks(conn, at=at)],
        "cohort": {"period": cohort_period.label,
                   **case_views.close_cohort(conn, start=cohort_period.start, end=cohort_period.end, now=now)},
    }


def _hotspots(conn: Any, period: Period) -> dict[str, Any]:
    stats = hotspot_statistics(conn, HotspotFilter(period), HotspotSettings(grid=False))
    hot = [r for r in stats["communities"] if r["gi_class"] > 0]
    emerging = [r for r in stats["communities"] if r["pattern"] != "no_pattern" and r["pattern"].endswith("_hot")]
    return {"hot": hot, "emerging": emerging, "repeat_complainants": stats["repeat_complainants"],
            "repeat_sites": stats["repeat_sites"], "summary": stats["summary"], "steps": stats["steps"]}


def _exceedances_near(conn: Any, period: Period, hot: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not hot:
        return []
    sensors = {s["id"]: s for s in list_sensors(conn) if s.get("lon") is not None}
    rows = []
    for e in monitoring_queries.exceedances(conn, period.start, period.end, limit=2000):
        s = sensors.get(e["sensor_id"])
        if s is None:
            continue
        d = distance_m([s["lon"]] * len(hot), [s["lat"]] * len(hot), [h["lon"] for h in hot], [h["lat"] for h in hot])
        nearest = int(d.argmin())
        if d[nearest] <= NEAR_HOTSPOT_M:
            rows.append({"sensor": e["sensor_name"], "pollutant": e["pollutant"], "started_at": e["started_at"].isoformat(),
                         "peak": e["peak_value"], "limit": e["limit_value"], "unit": e["unit"],
                         "community": hot[nearest]["name"], "distance_m": round(float(d[nearest]))})
    return rows


def _typical_cases(conn: Any, period: Period, now: datetime) -> list[dict[str, Any]]:
    ids = complaints_views.case_ids(conn, ComplaintFilter(period.start, period.end))
    if not ids:
        return []
    summaries = case_views.case_summaries(conn, ids, now=now)
    counts = complaints_views.complaint_counts_by_case(conn, ids)
    for s in summaries:
        s["complaints"] = counts.get(s["id"], 0)
    chosen: list[tuple[str, dict[str, Any]]] = []
    rules = (("办理时间最长 longest open", lambda s: (s["days_open"], s["id"])),
             ("投诉最多 most complaints", lambda s: (s["complaints"], -s["days_open"])),
             ("提级督办 escalated", lambda s: (s["level"], s["escalations"], s["complaints"])))
    for label, key in rules:
        for s in sorted(summaries, key=key, reverse=True):
            if all(s["id"] != c["id"] for _, c in chosen):
                if label.startswith("提级") and s["level"] <= 1 and not s["escalations"]:
                    break
                chosen.append((label, s))
                break
    texts = complaints_views.case_texts(conn, [s["id"] for _, s in chosen])  # identity removed there
    return [{"rule": label, "case_id": s["id"], "title": s["title"], "state": s["state"], "level": s["level"],
             "team": s["team"], "days_open": round(float(s["days_open"]), 1), "complaints": s["complaints"],
             "opened_at": s["opened_at"].isoformat(),
             "texts": [t["text"] for t in texts.get(s["id"], [])[:3]]} for label, s in chosen]


def bulletin_figures(conn: Any, period: Period, *, now: datetime) -> dict[str, Any]:
    """All figures of the bulletin for ``period`` as seen at ``now`` (JSON-ready)."""
    intake = _intake(conn, period)
    events = intake["totals"]["events"]
    districts, industries = _districts_and_industries(conn, period)
    kpi_rows = kpi.kpis(conn, start=period.first, end=period.after, now=now)
    hotspots = _hotspots(conn, period)
    return {
        "period": {"kind": period.kind, "key": period.key, "label": period.label,
                   "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "previous": period.previous.label, "year_before": period.year_before.label},
        "generated_at": now.isoformat(),
        "intake": intake, "channels": _channels(conn, period),
        "categories": _categories(conn, period, events), "category_base": events,
        "districts": districts, "district_min": DISTRICT_MIN, "industries": industries,
        "timeliness": _timeliness(conn, period, now, kpi_rows),
        "hotspots": hotspots, "exceedances_near_hotspots": _exceedances_near(conn, period, hotspots["hot"]),
        "ladder": case_views.ladder_month(conn, start=period.start, end=period.end),
        "kpis": kpi_rows,
        "typical_cases": _typical_cases(conn, period, now),
    }
