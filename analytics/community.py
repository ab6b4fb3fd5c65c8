"""One community's profile: monthly series by category, daily counts, enterprises around, open cases,
repeat complainants (a count only), and its hotspot figures."""

from __future__ import annotations

from typing import Any

from analytics.filters import HotspotFilter
from analytics.hotspots import HotspotSettings, hotspot_statistics
from analytics.periods import month_steps
from dispatch import views as case_views
from envpetition.areas import current_areas
from envpetition.errors import NotFound
from envpetition.geo_crs import metric_crs_for, to_metric_geoms
from ingest import views as complaints_views
from ingest.classify import CATEGORY_LABELS

AROUND_M = 3000.0  # enterprises within this distance of the community's boundary


def community_profile(conn: Any, community_id: int, flt: HotspotFilter,
                      settings: HotspotSettings | None = None) -> dict[str, Any]:
    """Everything the community page shows for ``flt``'s period and the months before it.

    Examples
    --------
    >>> profile = community_profile(conn, 12, HotspotFilter.parse("2026-09"))  # doctest: +SKIP
    >>> sorted(profile)[:3]  # doctest: +SKIP
    ['area', 'daily', 'enterprises']
    """
    settings = settings or HotspotSettings()
    areas = current_areas(conn, ("community", "enterprise"))
    area = next((a for a in areas if a.id == community_id and a.kind == "community"), None)
    if area is None:
        raise NotFound(f"小区 {community_id} 不存在 / no community {community_id}")
    steps = month_steps(flt.period, settings.months)
    start, end = steps[0].start, flt.period.end
    monthly = complaints_views.community_monthly_by_category(conn, community_id, start, end)
    daily = complaints_views.community_daily(conn, community_id, start, end)
    crs = metric_crs_for([b for a in areas for b in (a.geom.bounds[0], a.geom.bounds[2])])
    here = to_metric_geoms(area.geom, crs)
    enterprises: list[dict[str, Any]] = []
    for e in areas:
        if e.kind != "enterprise":
            continue
        d = float(here.distance(to_metric_geoms(e.geom, crs)))
        if d <= AROUND_M:
            enterprises.append({"id": e.id, "name": e.name, "industry": e.attributes.get("industry"),
                                "distance_m": round(d)})
    enterprises.sort(key=lambda r: r["distance_m"])
    repeaters = complaints_views.repeat_complainants(
        conn, flt.complaints(start, end), min_count=settings.repeat_min, window_days=settings.repeat_days)
    stats = hotspot_statistics(conn, flt, settings)
    row = next((r for r in stats["communities"] if r["id"] == community_id), None)
    with_data = sorted({f"{r['month']:%Y-%m}" for r in monthly})
    keys = [s.key for s in steps]
    keys = keys[keys.index(with_data[0]):] if with_data else keys[-1:]  # the series starts with its first complaint
    return {
        "area": {"id": area.id, "name": area.name, "code": area.code, "district": area.attributes.get("district"),
                 "population": area.attributes.get("population"), "address": area.attributes.get("address")},
        "steps": keys,
        "monthly": [{"month": f"{r['month']:%Y-%m}", "category": r["category"],
                     "label": CATEGORY_LABELS.get(r["category"], r["category"]), "n": int(r["n"])} for r in monthly],
        "daily": [{"day": r["day"].isoformat(), "n": int(r["n"])} for r in daily if f"{r['day']:%Y-%m}" >= keys[0]],
        "enterprises": enterprises,
        "open_cases": case_views.open_cases_in_community(conn, community_id),
        "repeat_complainants": sum(1 for r in repeaters if community_id in (r["community_ids"] or [])),
        "hotspot": row, "ranked_among": len(stats["communities"]),
    }
