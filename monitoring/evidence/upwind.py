"""Upwind evidence: does each complaint's back-trajectory pass the plant, and does its plume cover them?

Inputs are matrices over complaints (rows) and candidates (columns) built from
``trajectory.crossings``: the angle between the path and the plant seen from the complaint, the
path's angular uncertainty there, whether the path reached that far, and the distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from monitoring import plume
from monitoring.evidence.model import Evidence

Float = NDArray[np.float64]
HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


@dataclass(frozen=True)
class Paths:
    """Crossings of every complaint's path (rows) at every candidate (columns)."""

    offset_deg: Float
    sigma_deg: Float
    age_s: Float
    reached: NDArray[np.bool_]
    shortfall_m: Float
    distance_m: Float
    reach_m: Float  # per complaint: how far its path got
    speed: Float  # per complaint: wind speed when it was made
    sigma_theta: Float  # per complaint: direction spread (degrees) when it was made
    local_hour: Float  # per complaint


def alignment_llr(offset_deg: Float, sigma_deg: Float, reached: NDArray[np.bool_], shortfall_m: Float,
                  reach_m: Float) -> Float:
    """Per complaint and candidate: log of the offset's normal density over the uniform 1 / 2 pi.

    The density widens with the path's uncertainty, so calm or variable wind lowers both the
    reward for pointing at a plant and the penalty for missing it. A plant beyond the path's reach
    loses in proportion to the shortfall (the air could not have come from there in time).
    ``reach_m`` is per row (complaint).

    Examples
    --------
    >>> llr = alignment_llr(np.array([[0., 0., 40., 40.]]), np.array([[10., 40., 10., 40.]]),
    ...                     np.ones((1, 4), bool), np.zeros((1, 4)), np.array([1e4]))
    >>> np.round(llr, 2).tolist()
    [[2.5, 1.28, -5.34, 0.78]]
    """
    s = np.radians(np.clip(sigma_deg, 3.0, 100.0))
    z = np.radians(offset_deg) / s
    llr = np.clip(HALF_LOG_2PI - np.log(s) - 0.5 * z * z, -8.0, 2.5)
    reach = np.maximum(np.asarray(reach_m, dtype=float)[:, None], 2000.0)
    short = np.where(reached, 0.0, np.clip(2.0 * shortfall_m / reach, 0.0, 6.0))
    return np.asarray(llr - short, dtype=float)


def plume_fit(p: Paths, shift_max_deg: float, meander_factor: float, location_sd_m: float) -> tuple[Float, Float]:
    """Each complaint's place across each candidate's plume: (coverage 0-1, log density ratio).

    The plume axis runs from the plant along the complaints' own paths, turned by their common
    offset up to ``shift_max_deg`` (the wind's measurement error, shared by all the complaints).
    What is left is how the complaints spread across the axis, against the plume's width at their
    distance under the Pasquill–Gifford class of the wind and hour of each complaint (plus the
    wind's meander and the complaints' location error). The log density ratio compares the normal
    density of that spread with a uniform one over a 4 km band: a plume too narrow for the spread
    loses, and so does one far wider than it (a farther plant on the same line is no safer bet).
    """
    shift = np.clip(np.median(p.offset_deg, axis=0), -shift_max_deg, shift_max_deg)
    x = p.distance_m * np.cos(np.radians(p.offset_deg - shift))
    y = p.distance_m * np.sin(np.radians(p.offset_deg - shift))
    cov = np.zeros_like(x)
    dens = np.zeros_like(x)
    classes = np.array([plume.stability_class(s, h) for s, h in zip(np.nan_to_num(p.speed, nan=1.0), p.local_hour,
                                                                        strict=True)])
    for cls in set(classes.tolist()):
        rows = classes == cls
        meander = float(np.nanmedian(p.sigma_theta[rows])) * meander_factor
        xr = np.maximum(x[rows], 1.0)
        sy = np.hypot(np.hypot(plume.sigma_y(xr, cls), xr * np.tan(np.radians(meander))), location_sd_m)
        cov[rows] = plume.coverage(x[rows], y[rows], cls, meander)
        dens[rows] = np.clip(-0.5 * (y[rows] / sy) ** 2 - np.log(sy) - HALF_LOG_2PI + np.log(4000.0), -6.0, 3.0)
    upwind_of_plant = ~p.reached | (x <= 0)
    return np.where(upwind_of_plant, 0.0, cov), np.where(upwind_of_plant, -6.0, dens)


def n_eff(n: int, cap: float) -> float:
    """Complaints of one incident share the wind's error: count at most ``cap`` of them."""
    return float(min(n, cap))


def upwind_terms(p: Paths, *, cap_upwind: float, cap_plume: float, shift_max_deg: float,
                 meander_factor: float, location_sd_m: float) -> tuple[list[Evidence], list[Evidence]]:
    """The upwind-alignment and plume evidence for each candidate.

    Upwind: the incident's mean offset (the complaints share one wind and its error) against the
    paths' typical uncertainty, so that a plant farther along the same line, which the complaints'
    spread subtends a smaller angle of, gains nothing; each complaint's path that stops short of
    the plant costs its share. Plume: the mean log density of the complaints across the plume.
    """
    n, m = p.offset_deg.shape
    rad = np.radians(p.offset_deg)
    mean_off = np.degrees(np.arctan2(np.sin(rad).mean(axis=0), np.cos(rad).mean(axis=0)))[None, :]
    sig = np.median(p.sigma_deg, axis=0)[None, :]
    everyone = np.ones((1, m), dtype=bool)
    align = alignment_llr(mean_off, sig, everyone, np.zeros((1, m)), np.array([1.0]))[0]
    short = alignment_llr(np.zeros((n, m)), np.full((n, m), 30.0), p.reached, p.shortfall_m, p.reach_m) \
        - alignment_llr(np.zeros((n, m)), np.full((n, m), 30.0), np.ones((n, m), bool), p.shortfall_m, p.reach_m)
    up_llr = (align + short.mean(axis=0)) * n_eff(n, cap_upwind)
    cov, dens = plume_fit(p, shift_max_deg, meander_factor, location_sd_m)
    pl_llr = dens.mean(axis=0) * n_eff(n, cap_plume)
    ups, plumes = [], []
    for j in range(m):
        on = int(((np.abs(p.offset_deg[:, j]) <= 2 * p.sigma_deg[:, j]) & p.reached[:, j]).sum())
        reached = p.reached[:, j]
        hours = float(np.median(p.age_s[reached, j]) / 3600.0) if reached.any() else float("nan")
        off_j = float(mean_off[0, j])
        sig_j = float(sig[0, j])
        travel_zh = f"，约 {hours:.1f} 小时到达" if reached.any() else "，超出轨迹可达范围"
        travel_en = f", about {hours:.1f} h travel" if reached.any() else ", beyond the paths' reach"
        ups.append(Evidence(
            "upwind", float(up_llr[j]),
            f"{on}/{n} 起投诉的后向轨迹经过该企业（平均偏离 {off_j:+.0f}°，不确定度 ±{sig_j:.0f}°{travel_zh}）",
            f"{on} of {n} complaints' back-trajectories pass it (mean offset {off_j:+.0f}°, ±{sig_j:.0f}°{travel_en})",
            {"within_2sigma": on, "complaints": n, "mean_offset_deg": round(off_j, 1), "sigma_deg": round(sig_j, 1),
             "travel_h": None if np.isnan(hours) else round(hours, 2), "reached": int(reached.sum())}))
        covered = int((cov[:, j] >= 0.135).sum())  # inside 2 sigma
        plumes.append(Evidence(
            "plume", float(pl_llr[j]),
            f"高斯烟羽覆盖 {covered}/{n} 起投诉（平均覆盖度 {cov[:, j].mean():.2f}）",
            f"its Gaussian plume covers {covered} of {n} complaints (mean coverage {cov[:, j].mean():.2f})",
            {"covered": covered, "complaints": n, "mean_coverage": round(float(cov[:, j].mean()), 3)}))
    return ups, plumes
