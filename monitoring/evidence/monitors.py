"""Monitor evidence: anomalies above a monitor's own background, and its history by wind sector.

Any fixed monitor counts, not only a plant's own: a rise in a pollutant the plant emits, before
or during the complaints, while the air reaching the monitor came from the plant's direction,
supports that plant; no rise while the monitor sat in the plant's path counts against it. The
conditional probability function (CPF) says how often the monitor read high when the wind blew
from the plant's sector over the past weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from monitoring.evidence.model import Evidence, Monitor, sector_of
from monitoring.odour_profiles import Profile

Float = NDArray[np.float64]


@dataclass(frozen=True)
class Anomaly:
    z: float  # robust z-score of the highest reading in the window
    at: float  # epoch seconds of that reading
    background: float
    peak: float
    found: bool


def anomaly(t: Float, value: Float, start: float, end: float, *, background_s: float, z_min: float,
            ratio_min: float) -> Anomaly:
    """The highest reading in [start, end] against the median and MAD of the ``background_s`` before.

    Examples
    --------
    >>> t = np.arange(0, 30 * 3600, 600.0)
    >>> v = 1.0 + 0.05 * np.sin(t / 3000); v[(t >= 26 * 3600) & (t < 27 * 3600)] = 4.0
    >>> a = anomaly(t, v, 25 * 3600, 28 * 3600, background_s=24 * 3600, z_min=4, ratio_min=1.5)
    >>> a.found, a.at / 3600, round(a.background, 1)
    (True, 26.0, 1.0)
    """
    win = (t >= start) & (t <= end) & ~np.isnan(value)
    bg = (t >= start - background_s) & (t < start) & ~np.isnan(value)
    if not win.any() or bg.sum() < 6:
        return Anomaly(0.0, float("nan"), float("nan"), float("nan"), False)
    base = float(np.median(value[bg]))
    mad = float(np.median(np.abs(value[bg] - base))) * 1.4826
    scale = max(mad, 0.05 * abs(base), 1e-9)
    i = int(np.argmax(np.where(win, value, -np.inf)))
    peak = float(value[i])
    z = (peak - base) / scale
    found = z >= z_min and (base <= 0 or peak >= ratio_min * base)
    return Anomaly(float(z), float(t[i]), base, peak, bool(found))


def monitor_terms(monitors: Sequence[Monitor], anomalies: Sequence[Anomaly], align: Float, dist: Float,
                  profiles: Sequence[Profile], *, pd0: float, pd_scale_m: float, base_rate: float,
                  z_min: float, cap: float) -> list[Evidence]:
    """For each candidate, the summed LLR over monitors (one pollutant per monitor: its strongest).

    ``align[i, j]`` is how well the air reaching monitor row i at its peak (or at the complaints,
    without a peak) came from candidate j (0-1); ``dist[i, j]`` is metres between them.
    """
    out = []
    for j, prof in enumerate(profiles):
        best: dict[str, tuple[float, float, int]] = {}  # sensor -> (z, llr, row)
        for i, (mon, an) in enumerate(zip(monitors, anomalies, strict=True)):
            if mon.pollutant not in prof.pollutants or np.isnan(an.background):
                continue
            a = float(align[i, j])
            pd = pd0 / (1.0 + dist[i, j] / pd_scale_m)
            # A stronger rise is rarer by chance: the base rate falls with the z-score (a heavy tail).
            q = float(np.clip(base_rate * z_min / an.z, 0.01, base_rate)) if an.found else base_rate
            p_src = a * pd + (1.0 - a) * q
            llr = np.log(p_src / q) if an.found else np.log((1.0 - p_src) / (1.0 - q))
            key = (an.z if an.found else -1.0)
            if mon.sensor_id not in best or key > best[mon.sensor_id][0]:
                best[mon.sensor_id] = (key, float(llr), i)
        total = float(np.clip(sum(v[1] for v in best.values()), -cap, cap))
        rising = [(monitors[i].sensor_id, monitors[i].pollutant, anomalies[i]) for z, _, i in best.values() if z >= 0]
        pointing = [s for s, llr_i in ((k, v[1]) for k, v in best.items()) if llr_i > 0.3]
        against = [s for s, llr_i in ((k, v[1]) for k, v in best.items()) if llr_i < -0.3]
        zh = (f"{len(pointing)} 个监测点在其下风向出现异常升高（{', '.join(pointing) or '无'}）"
              f"；{len(against)} 个位于其下风向却未见升高")
        en = (f"{len(pointing)} monitors downwind of it rose above background ({', '.join(pointing) or 'none'}); "
              f"{len(against)} in its path did not")
        out.append(Evidence("monitors", total, zh, en, {
            "supporting": pointing, "against": against,
            "anomalies": [{"sensor": s, "pollutant": p, "z": round(a.z, 1), "peak": a.peak, "background": a.background}
                          for s, p, a in rising]}))
    return out


def cpf_terms(monitors: Sequence[Monitor], bearing_deg: Float, dist: Float, profiles: Sequence[Profile], *,
              scale_m: float, weight: float, min_hours: float) -> list[Evidence]:
    """For each candidate: how much more often its monitors read high with wind from its sector.

    ``bearing_deg[i, j]`` is the bearing from monitor row i to candidate j: wind FROM that bearing
    carries the plant's air to the monitor.
    """
    sectors = sector_of(bearing_deg)
    weight_d = np.exp(-dist / scale_m)
    sensors = sorted({m.sensor_id for m in monitors})
    # contribution[i, j]: log CPF ratio of monitor row i toward candidate j, NaN where it says nothing.
    contribution = np.full(dist.shape, np.nan)
    for i, mon in enumerate(monitors):
        if mon.cpf is None or mon.cpf_n is None:
            continue
        s = sectors[i]
        ok = (mon.cpf_n[s] >= min_hours) & ~np.isnan(mon.cpf[s])
        mean = float(np.nanmean(mon.cpf))
        ratio = np.log((np.nan_to_num(mon.cpf[s]) + 0.05) / (mean + 0.05)) * weight_d[i]
        contribution[i] = np.where(ok, ratio, np.nan)
    out = []
    for j, prof in enumerate(profiles):
        per_sensor: dict[str, list[float]] = {}
        for i, mon in enumerate(monitors):
            if mon.pollutant in prof.pollutants and not np.isnan(contribution[i, j]):
                per_sensor.setdefault(mon.sensor_id, []).append(float(contribution[i, j]))
        llr = weight * float(sum(np.mean(v) for v in per_sensor.values()))
        top = sorted(((k, float(np.mean(v))) for k, v in per_sensor.items()), key=lambda kv: -kv[1])[:3]
        out.append(Evidence(
            "cpf", llr,
            "风向条件概率：" + ("、".join(f"{k} {v:+.2f}" for k, v in top) if top else "无相关监测历史"),
            "conditional probability by wind sector: " + (", ".join(f"{k} {v:+.2f}" for k, v in top) if top
                                                         else "no relevant monitor history"),
            {"monitors": {k: round(v, 3) for k, v in top}, "sensors_with_history": len(sensors)}))
    return out
