"""Name the source of an incident: sum each candidate's evidence as log-likelihood ratios.

Every term is log P(evidence | this plant is the source) / P(evidence | the reference), so the
terms add and each one's share of the total is shown. Terms: ``upwind`` (back-trajectories pass
the plant), ``plume`` (its Gaussian plume covers the complaints), ``odour`` (the smell described vs
what it emits), ``monitors`` (anomalies at monitors in its path), ``cpf`` (monitor history by wind
sector), ``walknav`` (walk-navigation peaks downwind of it), ``history`` (earlier confirmed
incidents). Nothing rewards being near: distance enters only through physics (the path's reach,
the plume's width, a monitor's chance of seeing the plume).

The constants in :class:`Params` were tuned on synthetic episodes from seeds kept apart from the
evaluation (``bench/trace_eval.py --split dev``), never per episode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from monitoring.evidence.history import history_terms
from monitoring.evidence.model import Evidence, Scene
from monitoring.evidence.monitors import Anomaly, anomaly, cpf_terms, monitor_terms
from monitoring.evidence.odour import odour_terms
from monitoring.evidence.upwind import Paths, upwind_terms
from monitoring.evidence.walknav import walknav_terms
from monitoring.trajectory import Trajectory, back_trajectories, back_trajectory, crossings, crossings_many
from monitoring.wind import wind_at

Float = NDArray[np.float64]
TERMS = ("upwind", "plume", "odour", "monitors", "cpf", "walknav", "history")


@dataclass(frozen=True)
class Params:
    horizon_h: float = 12.0
    reach_ceiling_m: float = 40000.0  # candidates farther than this from every complaint are not read
    cap_upwind: float = 3.0
    cap_plume: float = 3.0
    location_sd_m: float = 300.0
    shift_max_deg: float = 20.0
    meander_factor: float = 1.0
    odour_confusion: float = 0.25
    cap_odour: float = 6.0
    monitor_pre_s: float = 3 * 3600.0
    monitor_background_s: float = 24 * 3600.0
    monitor_z: float = 4.0
    monitor_ratio: float = 1.5
    monitor_pd: float = 0.8
    monitor_pd_scale_m: float = 8000.0
    monitor_base_rate: float = 0.1
    monitor_cap: float = 6.0
    monitor_horizon_h: float = 6.0
    cpf_scale_m: float = 10000.0
    cpf_weight: float = 1.0
    cpf_min_hours: float = 6.0
    walk_pd: float = 0.6
    walk_pd_scale_m: float = 3000.0
    walk_cap: float = 4.0
    history_weight: float = 0.5
    skip: frozenset[str] = field(default_factory=frozenset)  # terms left out (ablation)


DEFAULT_PARAMS = Params()


@dataclass
class Ranked:
    candidate_id: int
    name: str
    score: float
    terms: list[Evidence]

    def as_json(self) -> dict[str, object]:
        return {"enterprise_id": self.candidate_id, "name": self.name, "score": round(self.score, 3),
                "terms": [t.as_json() for t in self.terms]}


@dataclass
class Attribution:
    ranked: list[Ranked]
    trajectories: list[Trajectory]
    anomalies: list[Anomaly]


def _align(tr: Trajectory, cx: Float, cy: Float) -> tuple[Float, Float]:
    """How well the air on a path came from each candidate (0-1) and the distance to each."""
    c = crossings(tr, cx, cy)
    a = np.exp(-0.5 * (c.offset_deg / np.maximum(c.sigma_deg, 3.0)) ** 2)
    return np.where(c.reached, a, 0.0), c.distance_m


def attribute(scene: Scene, params: Params = DEFAULT_PARAMS) -> Attribution:
    """Rank the candidates of an incident, best first, each with its evidence terms.

    Examples
    --------
    Wind from the north for hours; the complaint is at the origin, a coking plant 5 km north and a
    paint shop 5 km east. The complaint says rotten eggs.

    >>> from monitoring.evidence.model import Candidate, Complaint
    >>> from monitoring.odour_profiles import profile_for
    >>> from monitoring.wind import station_from_readings
    >>> st = station_from_readings(0, 0, np.arange(0, 36000, 3600.0), [0.0] * 10, [2.0] * 10, 3600)
    >>> scene = Scene([Complaint(1, 0, 0, 36000, 22, frozenset({"sulfide"}))],
    ...               [Candidate(7, "paint", 5000, 0, profile_for("涂装")), Candidate(8, "coke", 0, 5000, profile_for("焦化"))],
    ...               [st])
    >>> [r.name for r in attribute(scene).ranked]
    ['coke', 'paint']
    """
    comps, cands = scene.complaints, scene.candidates
    if not comps or not cands:
        return Attribution([], [], [])
    cx = np.array([c.x for c in cands])
    cy = np.array([c.y for c in cands])
    profiles = [c.profile for c in cands]
    trajs = back_trajectories(scene.stations, np.array([c.x for c in comps]), np.array([c.y for c in comps]),
                              np.array([c.t for c in comps]), horizon_h=params.horizon_h)
    cr = crossings_many(trajs, cx, cy)
    t_c = np.array([[c.t] for c in comps])
    now_wind = wind_at(scene.stations, np.array([[c.x] for c in comps]), np.array([[c.y] for c in comps]),
                       t_c - 300.0, cutoff=t_c)
    speeds, sigmas = now_wind.speed[:, 0], now_wind.sigma_theta[:, 0]
    paths = Paths(cr.offset_deg, cr.sigma_deg, cr.age_s, cr.reached, cr.shortfall_m, cr.distance_m,
                  np.array([t.reach_m for t in trajs]), speeds, sigmas, np.array([c.local_hour for c in comps]))
    terms: dict[str, list[Evidence]] = {}
    terms["upwind"], terms["plume"] = upwind_terms(
        paths, cap_upwind=params.cap_upwind, cap_plume=params.cap_plume, shift_max_deg=params.shift_max_deg,
        meander_factor=params.meander_factor, location_sd_m=params.location_sd_m)
    terms["odour"] = odour_terms(comps, profiles, confusion=params.odour_confusion, cap=params.cap_odour)
    t_first, t_last = min(c.t for c in comps), max(c.t for c in comps)
    anomalies: list[Anomaly] = []
    if scene.monitors:
        anomalies = [anomaly(m.t, m.value, t_first - params.monitor_pre_s, t_last,
                             background_s=params.monitor_background_s, z_min=params.monitor_z,
                             ratio_min=params.monitor_ratio) for m in scene.monitors]
        align = np.zeros((len(scene.monitors), len(cands)))
        dist = np.zeros_like(align)
        # One batch of back-trajectories from each monitor at its peak (or at the first complaint).
        keys = [(m.sensor_id, an.at if an.found else t_first) for m, an in zip(scene.monitors, anomalies, strict=True)]
        unique = sorted(set(keys))
        where = {m.sensor_id: (m.x, m.y) for m in scene.monitors}
        paths_m = back_trajectories(scene.stations, np.array([where[k[0]][0] for k in unique]),
                                    np.array([where[k[0]][1] for k in unique]), np.array([k[1] for k in unique]),
                                    horizon_h=params.monitor_horizon_h)
        aligned = {k: _align(tr, cx, cy) for k, tr in zip(unique, paths_m, strict=True)}
        for i, key in enumerate(keys):
            align[i], dist[i] = aligned[key]
        bearing = np.degrees(np.arctan2(cx[None, :] - np.array([m.x for m in scene.monitors])[:, None],
                                        cy[None, :] - np.array([m.y for m in scene.monitors])[:, None])) % 360.0
        terms["monitors"] = monitor_terms(scene.monitors, anomalies, align, dist, profiles, pd0=params.monitor_pd,
                                          pd_scale_m=params.monitor_pd_scale_m, base_rate=params.monitor_base_rate,
                                          z_min=params.monitor_z, cap=params.monitor_cap)
        terms["cpf"] = cpf_terms(scene.monitors, bearing, dist, profiles, scale_m=params.cpf_scale_m,
                                 weight=params.cpf_weight, min_hours=params.cpf_min_hours)
    if scene.peaks:
        palign = np.zeros((len(scene.peaks), len(cands)))
        pdist = np.zeros_like(palign)
        for k, pk in enumerate(scene.peaks):
            tr = back_trajectory(scene.stations, pk.x, pk.y, pk.t, horizon_h=2.0, step_s=300.0)
            palign[k], pdist[k] = _align(tr, cx, cy)
        terms["walknav"] = walknav_terms(scene.peaks, palign, pdist, profiles, pd0=params.walk_pd,
                                         pd_scale_m=params.walk_pd_scale_m, base_rate=params.monitor_base_rate,
                                         cap=params.walk_cap)
    terms["history"] = history_terms(cands, scene.confirmed_total, weight=params.history_weight)
    ranked = []
    for j, cand in enumerate(cands):
        mine = [terms[k][j] for k in TERMS if k in terms]
        score = sum(e.llr for e in mine if e.key not in params.skip)
        ranked.append(Ranked(cand.id, cand.name, float(score), mine))
    ranked.sort(key=lambda r: -r.score)
    return Attribution(ranked, trajs, anomalies)


def without(params: Params, terms: Iterable[str]) -> Params:
    """The same parameters with some terms left out (for the ablation)."""
    return replace(params, skip=frozenset(terms))
