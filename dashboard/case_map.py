"""The map of one case: the complaint point, its community, the enterprises around, the nearby monitors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry import mapping

from dashboard.basemap import BaseSource, apply_base, focus_view
from envpetition.areas import Area
from envpetition.geo_crs import distance_m, metric_crs_for, to_metric
from envpetition.settings import Settings

ENTERPRISE_RADIUS_M = 2000.0
MONITOR_RADIUS_M = 3000.0
POINT_COLOR = "#b91c1c"
COMMUNITY_COLOR = "#c2410c"
ENTERPRISE_COLOR = "#1f4e79"
MONITOR_COLOR = "#047857"


@dataclass
class CaseSurroundings:
    """What lies around a case, nearest first, for the map and the tables beside it."""

    lon: float
    lat: float
    community: Area | None = None
    enterprises: list[tuple[Area, float]] = field(default_factory=list)
    monitors: list[tuple[dict[str, Any], float]] = field(default_factory=list)


def _metric(geom: Any, crs: str) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1], crs)))


def surroundings(case: dict[str, Any], areas: list[Area], sensors: list[dict[str, Any]]) -> CaseSurroundings | None:
    """Enterprises within 2 km and fixed or met monitors within 3 km of the case's point (or its community).

    Returns None when the case has neither a point nor a community to stand for it.

    Examples
    --------
    >>> plant = Area("enterprise", "甲厂", shapely.box(117.810, 30.940, 117.812, 30.942), id=2)
    >>> near = surroundings({"lon": 117.805, "lat": 30.941, "community_id": None}, [plant],
    ...                     [{"id": "S1", "kind": "fixed", "lon": 117.83, "lat": 30.94}])
    >>> [(a.name, round(d)) for a, d in near.enterprises], [(s["id"], round(d)) for s, d in near.monitors]
    ([('甲厂', 478)], [('S1', 2392)])
    """
    community = next((a for a in areas if a.id == case.get("community_id")), None)
    if case.get("lon") is not None and case.get("lat") is not None:
        lon, lat = float(case["lon"]), float(case["lat"])
    elif community is not None:
        point = community.geom.representative_point()
        lon, lat = point.x, point.y
    else:
        return None
    plants = [a for a in areas if a.kind == "enterprise"]
    crs = metric_crs_for([lon, *(b for a in plants for b in (a.geom.bounds[0], a.geom.bounds[2]))])
    here = _metric(shapely.Point(lon, lat), crs)
    plant_d = shapely.distance(here, _metric(np.array([a.geom for a in plants]), crs)) if plants else np.zeros(0)
    enterprises = sorted(((a, float(d)) for a, d in zip(plants, plant_d, strict=True) if d <= ENTERPRISE_RADIUS_M),
                         key=lambda pair: pair[1])
    fixed = [s for s in sensors if s.get("lon") is not None and s.get("kind") in ("fixed", "met")]
    sensor_d = distance_m(lon, lat, [s["lon"] for s in fixed], [s["lat"] for s in fixed]) if fixed else np.zeros(0)
    monitors = sorted(((s, float(d)) for s, d in zip(fixed, sensor_d, strict=True) if d <= MONITOR_RADIUS_M),
                      key=lambda pair: pair[1])
    return CaseSurroundings(lon, lat, community, enterprises, monitors)


def _outline(areas: list[Area], color: str, width: float, name: str, hover: list[str]) -> go.Scattermap:
    lons: list[float | None] = []
    lats: list[float | None] = []
    texts: list[str | None] = []
    for area, text in zip(areas, hover, strict=True):
        for part in getattr(area.geom, "geoms", [area.geom]):
            x, y = part.exterior.xy
            lons += [*x, None]
            lats += [*y, None]
            texts += [text] * len(x) + [None]
    return go.Scattermap(lon=lons, lat=lats, mode="lines", line={"color": color, "width": width}, name=name,
                         text=texts, hoverinfo="text")


def case_map(near: CaseSurroundings, source: BaseSource, settings: Settings) -> go.Figure:
    """The base map around the case with the community, the plants and monitors around, and the point on top."""
    fig = go.Figure()
    if near.community is not None:
        geojson = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": str(near.community.id), "geometry": mapping(near.community.geom), "properties": {}}]}
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=[str(near.community.id)], z=[1], colorscale=[[0, COMMUNITY_COLOR], [1, COMMUNITY_COLOR]],
            showscale=False, marker={"opacity": 0.35, "line": {"color": COMMUNITY_COLOR, "width": 2}},
            hovertext=[f"小区 community: {near.community.name}"], hoverinfo="text", name="小区"))
    if near.enterprises:
        fig.add_trace(_outline([a for a, _ in near.enterprises], ENTERPRISE_COLOR, 2.5, "企业 enterprises",
                               [f"{a.name}（{a.attributes.get('industry', '企业')}）· {d:.0f} m" for a, d in near.enterprises]))
    if near.monitors:
        fig.add_trace(go.Scattermap(
            lon=[s["lon"] for s, _ in near.monitors], lat=[s["lat"] for s, _ in near.monitors], mode="markers",
            marker={"size": 13, "color": MONITOR_COLOR}, name="监测点 monitors", hoverinfo="text",
            text=[f"{s['id']} {s['name']} · {d:.0f} m" for s, d in near.monitors]))
    fig.add_trace(go.Scattermap(lon=[near.lon], lat=[near.lat], mode="markers", name="投诉位置 complaint",
                                marker={"size": 16, "color": POINT_COLOR}, hoverinfo="text",
                                text=["投诉位置 complaint point"]))
    return apply_base(fig, source, settings, view=focus_view(near.lon, near.lat, radius_m=1500), height=440)
