"""Hotspot statistics per community and per grid cell for one filter.

Rates per 1,000 residents smoothed by empirical Bayes, Gi* classes with the FDR correction, the
emerging-hotspot pattern over the months up to the period, a square grid for complaints outside
every community, and the repeat lists. Reads only through the owners' functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from analytics.filters import HotspotFilter
from analytics.grid import grid_statistics
from analytics.periods import month_steps
from analytics.repeats import repeat_complainant_rows, repeat_sites
from analytics.spatial_stats import (
    GI_CLASS_LABELS,
    distance_band_weights,
    eb_rates,
    fdr_classes,
    gi_star,
)
from analytics.trend import PATTERN_LABELS, emerging_classes, mann_kendall
from envpetition.areas import current_areas
from envpetition.geo_crs import metric_crs_for, to_metric
from ingest import views as complaints_views


@dataclass(frozen=True)
class HotspotSettings:
    """Tunables, all documented in docs/analytics.md."""

    months: int = 12          # emerging-hotspot time steps (months up to the period's last month)
    band_m: float = 1500.0    # Gi* neighbourhood: community centroids within this distance
    cell_m: float = 500.0     # grid cell size for complaints outside communities
    site_m: float = 100.0     # "same place" for repeat sites
    grid: bool = True         # the grid of complaints outside communities (the bulletin does not print it)
    repeat_min: int = 3       # ≥ 3 complaints …
    repeat_days: int = 30     # … within 30 days


def community_frame(conn: Any, district_id: int | None = None) -> list[dict[str, Any]]:
    """Current communities (optionally of one district) with population and metric centroid."""
    areas = current_areas(conn, ("community", "district"))
    district = next((a for a in areas if a.id == district_id), None) if district_id else None
    rows = []
    for a in areas:
        if a.kind != "community":
            continue
        centre = a.geom.representative_point()
        if district is not None and not district.geom.covers(centre):
            continue
        pop = a.attributes.get("population")
        rows.append({"id": a.id, "name": a.name, "code": a.code, "district": a.attributes.get("district"),
                     "population": float(pop) if isinstance(pop, (int, float)) and pop > 0 else None,
                     "lon": centre.x, "lat": centre.y, "geom": a.geom})
    return rows


def _gi_for(values: np.ndarray, weights: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z, p = gi_star(values, weights)
    return z, p, fdr_classes(z, p)


def _rate_variable(counts: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EB rate per community; unknown population takes the city-wide rate (neutral for Gi*)."""
    raw, eb = eb_rates(counts, population)
    known = np.isfinite(eb)
    if not known.any():
        return raw, counts.astype(float)  # no populations at all: fall back to counts
    city = counts[known].sum() / population[known].sum() * 1000.0
    return raw, np.where(known, eb, city)


def hotspot_statistics(conn: Any, flt: HotspotFilter, settings: HotspotSettings | None = None) -> dict[str, Any]:
    """Every figure of the hotspot page for ``flt`` (JSON-ready).

    Examples
    --------
    >>> from analytics.filters import HotspotFilter
    >>> stats = hotspot_statistics(conn, HotspotFilter.parse("2026-09"))  # doctest: +SKIP
    >>> stats["communities"][0]["gi_class"]  # doctest: +SKIP
    3
    """
    settings = settings or HotspotSettings()
    communities = community_frame(conn, flt.district_id)
    steps = month_steps(flt.period, settings.months)
    step_keys = [s.key for s in steps]
    ids = [c["id"] for c in communities]
    index = {cid: i for i, cid in enumerate(ids)}
    monthly = np.zeros((len(ids), len(steps)))
    for row in complaints_views.monthly_community_counts(conn, flt.complaints(steps[0].start, steps[-1].end)):
        i, key = index.get(row["community_id"]), f"{row['month']:%Y-%m}"
        if i is not None and key in step_keys:
            monthly[i, step_keys.index(key)] += row["n"]
    in_period = [k for k, s in zip(step_keys, steps, strict=True) if flt.period.first <= s.first < flt.period.after]
    if flt.period.kind != "week" and len(in_period) == (3 if flt.period.kind == "quarter" else 1):
        current = monthly[:, [step_keys.index(k) for k in in_period]].sum(axis=1)  # whole months: no second query
    else:
        current = np.zeros(len(ids))
        for row in complaints_views.monthly_community_counts(conn, flt.complaints()):
            i = index.get(row["community_id"])
            if i is not None:
                current[i] += row["n"]
    # months before the first complaint carry no information: the series starts at the first month with data
    active = np.nonzero(monthly.sum(axis=0) > 0)[0]
    first = int(active[0]) if len(active) else len(steps) - 1
    monthly, step_keys = monthly[:, first:], step_keys[first:]

    population = np.array([c["population"] if c["population"] else np.nan for c in communities], dtype=float)
    out_communities: list[dict[str, Any]] = []
    lons = [b for c in communities for b in (c["geom"].bounds[0], c["geom"].bounds[2])]
    crs = metric_crs_for(lons or [117.8])  # the city's own projection, chosen from its extent
    if ids:
        x, y = to_metric([c["lon"] for c in communities], [c["lat"] for c in communities], crs)
        weights = distance_band_weights(x, y, settings.band_m)
        raw, variable = _rate_variable(current, population)
        _, eb = eb_rates(current, population)
        z, p, classes = _gi_for(variable, weights)
        step_z = np.zeros_like(monthly)
        step_classes = np.zeros(monthly.shape, dtype=int)
        for t in range(monthly.shape[1]):
            _, step_var = _rate_variable(monthly[:, t], population)
            step_z[:, t], _, step_classes[:, t] = _gi_for(step_var, weights)
        patterns = emerging_classes(step_classes, step_z)
        trend_z, trend_p = mann_kendall(step_z)
        for i, c in enumerate(communities):
            out_communities.append({
                "id": c["id"], "name": c["name"], "code": c["code"], "district": c["district"],
                "population": int(c["population"]) if c["population"] else None,
                "complaints": int(current[i]), "raw_rate": _num(raw[i]), "eb_rate": _num(eb[i]),
                "gi_z": round(float(z[i]), 3), "gi_p": round(float(p[i]), 5), "gi_class": int(classes[i]),
                "gi_label": GI_CLASS_LABELS[int(classes[i])], "pattern": patterns[i],
                "pattern_label": PATTERN_LABELS[patterns[i]], "trend_z": round(float(trend_z[i]), 3),
                "trend_p": round(float(trend_p[i]), 4), "monthly": [int(v) for v in monthly[i]],
                "monthly_classes": [int(v) for v in step_classes[i]], "lon": round(c["lon"], 6), "lat": round(c["lat"], 6),
            })
    out_communities.sort(key=lambda r: (-(r["eb_rate"] or -1), -r["complaints"], r["name"]))
    for rank, row in enumerate(out_communities, 1):
        row["rank"] = rank
    outside = complaints_views.points_outside_communities(conn, flt.complaints()) if settings.grid else []
    names = {c["id"]: c["name"] for c in communities}
    return {
        "filter": {"period": flt.period.key, "label": flt.period.label, "group": flt.group,
                   "district_id": flt.district_id, "channel": flt.channel},
        "settings": settings.__dict__, "steps": step_keys,
        "communities": out_communities,
        "cells": grid_statistics(outside, cell_m=settings.cell_m, extent=[c["geom"] for c in communities], crs=crs)
        if settings.grid else [],
        "repeat_complainants": repeat_complainant_rows(conn, flt.complaints(), names, settings.repeat_min,
                                                       settings.repeat_days),
        "repeat_sites": repeat_sites(complaints_views.site_points(conn, flt.complaints()), names,
                                     site_m=settings.site_m, min_count=settings.repeat_min, days=settings.repeat_days, crs=crs),
        "summary": _summary(out_communities),
    }


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 3)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    classes: dict[str, int] = {}
    patterns: dict[str, int] = {}
    for r in rows:
        classes[r["gi_label"]] = classes.get(r["gi_label"], 0) + 1
        patterns[r["pattern_label"]] = patterns.get(r["pattern_label"], 0) + 1
    return {"communities": len(rows), "complaints": sum(r["complaints"] for r in rows),
            "gi_classes": classes, "patterns": patterns,
            "hot": [r["name"] for r in rows if r["gi_class"] > 0]}


def community_geojson(conn: Any, district_id: int | None = None) -> dict[str, Any]:
    """Community polygons as a FeatureCollection keyed by area id (for the choropleth)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": c["id"], "properties": {"name": c["name"]},
         "geometry": shapely.geometry.mapping(c["geom"])} for c in community_frame(conn, district_id)]}
