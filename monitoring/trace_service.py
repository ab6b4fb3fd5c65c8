"""The trace of an incident (or of a case, through its incident): ranked sources with map layers.

Reads only: the incident's complaints from ``incident_complaints``, enterprises from the city's
areas, wind, monitors and walk-navigation peaks; scores with :func:`monitoring.attribution.attribute`.
A case whose complaints are in no incident is traced as an incident of one at the case's point.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import shapely

from dispatch.views import case_brief
from envpetition.areas import current_areas
from envpetition.errors import NotFound
from envpetition.geo_crs import metric_crs_for, to_metric, to_wgs84
from envpetition.localtime import LOCAL_TZ
from monitoring import plume
from monitoring.attribution import DEFAULT_PARAMS, Attribution, Params, attribute
from monitoring.evidence.model import Candidate, Complaint, Scene
from monitoring.incident_views import confirmed_counts, get_incident, incident_of_case
from monitoring.odour_profiles import descriptors, profile_for, relevant_pollutants
from monitoring.trace_load import load_monitors, load_peaks, load_stations
from monitoring.wind import wind_at

SHOWN_CANDIDATES = 15
SHOWN_PLUMES = 3
SHOWN_TRAJECTORIES = 60


def _lonlat(x: Any, y: Any, crs: str) -> tuple[list[float], list[float]]:
    lon, lat = to_wgs84(np.asarray(x, dtype=float), np.asarray(y, dtype=float), crs)
    return [round(float(v), 6) for v in lon], [round(float(v), 6) for v in lat]


def _hour(t: datetime) -> float:
    local = t.astimezone(LOCAL_TZ)
    return local.hour + local.minute / 60.0


def _candidates(areas: Sequence[Any], xs: np.ndarray, ys: np.ndarray, ceiling_m: float,
                confirmed: dict[int, int], crs: str) -> tuple[list[Candidate], dict[int, dict[str, Any]]]:
    """Enterprises within the ceiling of some complaint, with their odour profile."""
    if not areas:
        return [], {}
    cents = shapely.centroid(np.array([a.geom for a in areas]))
    cx, cy = to_metric(shapely.get_x(cents), shapely.get_y(cents), crs)
    d = np.hypot(cx[:, None] - xs[None, :], cy[:, None] - ys[None, :]).min(axis=1)
    out, meta = [], {}
    for k, area in enumerate(areas):
        if d[k] > ceiling_m or area.id is None:
            continue
        attrs = area.attributes or {}
        prof = profile_for(attrs.get("industry"), attrs)
        out.append(Candidate(int(area.id), area.name, float(cx[k]), float(cy[k]), prof, confirmed.get(int(area.id), 0)))
        meta[int(area.id)] = {"industry": attrs.get("industry"), "lon": float(shapely.get_x(cents[k])),
                              "lat": float(shapely.get_y(cents[k]))}
    return out, meta


def build_scene(conn: psycopg.Connection[Any], members: Sequence[dict[str, Any]], params: Params,
                exclude_incident: int = 0) -> tuple[Scene, dict[str, Any]]:
    """The scene of a set of complaints (rows with complaint_id, received_at, lon, lat, descriptors)."""
    lon = np.array([m["lon"] for m in members], dtype=float)
    lat = np.array([m["lat"] for m in members], dtype=float)
    areas = current_areas(conn, ("enterprise",))
    # One projection for the whole trace, chosen from the complaints' and the plants' extent.
    crs = metric_crs_for(np.concatenate([lon, [a.geom.bounds[0] for a in areas], [a.geom.bounds[2] for a in areas]]))
    xs, ys = to_metric(lon, lat, crs)
    times = [m["received_at"] for m in members]
    first, last = min(times), max(times)
    complaints = [Complaint(int(m["complaint_id"]), float(xs[i]), float(ys[i]), m["received_at"].timestamp(),
                            _hour(m["received_at"]), frozenset(m.get("descriptors") or ()))
                  for i, m in enumerate(members)]
    confirmed = confirmed_counts(conn, first, exclude_incident)
    cands, meta = _candidates(areas, xs, ys, params.reach_ceiling_m, confirmed, crs)
    horizon = timedelta(hours=params.horizon_h + 1)
    stations, station_meta = load_stations(conn, first - horizon, last + timedelta(seconds=1), crs=crs)
    pollutants = sorted(relevant_pollutants(c.profile for c in cands))
    pre = timedelta(seconds=params.monitor_background_s + params.monitor_pre_s)
    # Hourly maxima of hours that had ended by the last complaint (no look-ahead).
    monitors = load_monitors(conn, pollutants, first - pre, last - timedelta(hours=1) + timedelta(seconds=1),
                             history_before=first, crs=crs)
    peaks = load_peaks(conn, first - timedelta(hours=6), last + timedelta(seconds=1), crs=crs)
    scene = Scene(complaints, cands, stations, monitors, peaks, sum(confirmed.values()))
    return scene, {"enterprises": meta, "stations": station_meta, "crs": crs}


def _wind_summary(scene: Scene) -> dict[str, Any]:
    """The wind at the complaints when they were made, and how much of the paths ran in calm or variable air."""
    if not scene.stations:
        return {"from_deg": None, "speed_ms": None, "note": "无气象站数据 / no met station data"}
    t_c = np.array([[c.t] for c in scene.complaints])
    w = wind_at(scene.stations, np.array([[c.x] for c in scene.complaints]), np.array([[c.y] for c in scene.complaints]),
                t_c - 300.0, cutoff=t_c)
    ok = ~w.missing[:, 0]
    us, vs, sp, sg = w.u[ok, 0], w.v[ok, 0], w.speed[ok, 0], w.sigma_theta[ok, 0]
    if not us.size:
        return {"from_deg": None, "speed_ms": None, "note": "投诉前无风数据 / no wind before the complaints"}
    from_deg = float(np.degrees(np.arctan2(-np.mean(us), -np.mean(vs))) % 360.0)
    return {"from_deg": round(from_deg, 1), "speed_ms": round(float(np.mean(sp)), 2),
            "sigma_theta_deg": round(float(np.mean(sg)), 1)}


def render(result: Attribution, scene: Scene, meta: dict[str, Any], params: Params) -> dict[str, Any]:
    """The JSON of a trace: ranked candidates with every term, and the map's layers in WGS-84."""
    ents = meta["enterprises"]
    crs = meta["crs"]
    by_id = {c.id: c for c in scene.candidates}
    candidates = []
    for rank, r in enumerate(result.ranked[:SHOWN_CANDIDATES], start=1):
        c = by_id[r.candidate_id]
        d = float(np.median([np.hypot(c.x - q.x, c.y - q.y) for q in scene.complaints]))
        candidates.append({"rank": rank, **r.as_json(), "industry": ents[c.id]["industry"], "lon": ents[c.id]["lon"],
                           "lat": ents[c.id]["lat"], "median_distance_km": round(d / 1000.0, 2),
                           "profile": sorted(c.profile.odour_types)})
    trajectories = []
    step = max(1, len(result.trajectories) // SHOWN_TRAJECTORIES)
    for q, tr in list(zip(scene.complaints, result.trajectories, strict=True))[::step]:
        keep = slice(None, None, 3)
        lon, lat = _lonlat(tr.x[keep], tr.y[keep], crs)
        trajectories.append({"complaint_id": q.id, "lon": lon, "lat": lat,
                             "age_h": [round(float(a) / 3600.0, 2) for a in tr.age_s[keep]],
                             "sigma_m": [round(float(s)) for s in tr.sigma_m[keep]],
                             "calm_steps": int(tr.calm.sum()), "variable_steps": int(tr.variable.sum()),
                             "missing_steps": int(tr.missing.sum())})
    wind = _wind_summary(scene)
    plumes = []
    if wind.get("from_deg") is not None:
        cls = plume.stability_class(wind["speed_ms"], float(np.median([q.local_hour for q in scene.complaints])))
        for r in result.ranked[:SHOWN_PLUMES]:
            c = by_id[r.candidate_id]
            reach = float(max(np.hypot(q.x - c.x, q.y - c.y) for q in scene.complaints)) * 1.1
            px, py = plume.outline(c.x, c.y, (wind["from_deg"] + 180.0) % 360.0, max(reach, 2000.0), cls,
                                   wind.get("sigma_theta_deg", 0.0) * params.meander_factor)
            lon, lat = _lonlat(px, py, crs)
            plumes.append({"enterprise_id": c.id, "name": c.name, "stability": cls, "lon": lon, "lat": lat})
    monitors = []
    for m, an in zip(scene.monitors, result.anomalies, strict=False):
        lon, lat = _lonlat([m.x], [m.y], crs)
        monitors.append({"sensor_id": m.sensor_id, "pollutant": m.pollutant, "lon": lon[0], "lat": lat[0],
                         "anomaly": an.found, "z": round(an.z, 2), "peak": an.peak, "background": an.background,
                         "peak_at": datetime.fromtimestamp(an.at, LOCAL_TZ).isoformat() if an.found else None,
                         "cpf": None if m.cpf is None else [None if np.isnan(v) else round(float(v), 3) for v in m.cpf]})
    peaks = []
    for pk in scene.peaks:
        lon, lat = _lonlat([pk.x], [pk.y], crs)
        peaks.append({"sensor_id": pk.sensor_id, "pollutant": pk.pollutant, "value": pk.value,
                      "background": pk.background, "lon": lon[0], "lat": lat[0],
                      "ts": datetime.fromtimestamp(pk.t, LOCAL_TZ).isoformat()})
    points = shapely.points(*_lonlat([q.x for q in scene.complaints], [q.y for q in scene.complaints], crs))
    hull = shapely.convex_hull(shapely.multipoints(points))
    hull = hull.buffer(0.003) if hull.geom_type != "Polygon" else hull
    hx, hy = hull.exterior.coords.xy
    return {"candidates": candidates, "wind": {**wind, "stations": meta["stations"]}, "trajectories": trajectories,
            "plumes": plumes, "monitors": monitors, "peaks": peaks,
            "hull": {"lon": [round(v, 6) for v in hx], "lat": [round(v, 6) for v in hy]},
            "candidates_considered": len(scene.candidates),
            "method": "summed log-likelihood ratios / 各项证据对数似然比之和"}


def _clean(value: Any) -> Any:
    """NaN and infinities become None (JSON has neither); containers are walked."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def trace_members(conn: psycopg.Connection[Any], members: Sequence[dict[str, Any]], params: Params,
                  exclude_incident: int = 0) -> dict[str, Any]:
    """Trace a set of complaint rows; the timings and the complaints included."""
    started = time.perf_counter()
    scene, meta = build_scene(conn, members, params, exclude_incident)
    result = attribute(scene, params)
    out = render(result, scene, meta, params)
    out["complaints"] = [{k: m[k] for k in ("complaint_id", "case_id", "received_at", "lon", "lat")}
                         | {"descriptors": sorted(m.get("descriptors") or ())} for m in members]
    out["computed_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    return dict(_clean(out))


def incident_trace(conn: psycopg.Connection[Any], incident_id: int, params: Params = DEFAULT_PARAMS) -> dict[str, Any]:
    """The trace of one incident."""
    incident = get_incident(conn, incident_id)
    if incident is None:
        raise NotFound(f"事件不存在 / no incident {incident_id}")
    members = incident.pop("complaints")
    if not members:
        raise NotFound(f"事件 {incident_id} 已并入 {incident['merged_into']} / incident merged into {incident['merged_into']}")
    return {"incident": incident, **trace_members(conn, members, params, incident_id)}


def case_trace(conn: psycopg.Connection[Any], case_id: int, params: Params = DEFAULT_PARAMS) -> dict[str, Any]:
    """The trace of a case: of its incident, or of the case alone as an incident of one."""
    found = incident_of_case(conn, case_id)
    if found is not None:
        return {"case_id": case_id, **incident_trace(conn, found, params)}
    case = case_brief(conn, case_id)
    if case is None:
        raise NotFound(f"案件 {case_id} 不存在 / no case {case_id}")
    if case["lon"] is None or case["lat"] is None:
        raise NotFound(f"案件 {case_id} 没有位置，无法溯源 / case {case_id} has no location to trace from")
    # Outside any incident only the case's own title speaks of the smell (its complaints are ingest's).
    member = {"complaint_id": 0, "case_id": case_id, "received_at": case["opened_at"], "lon": case["lon"],
              "lat": case["lat"], "descriptors": sorted(descriptors(case["title"]))}
    return {"case_id": case_id, "incident": None, **trace_members(conn, [member], params)}
