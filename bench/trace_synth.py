"""Synthetic odour episodes from known sources, for ``bench/trace_eval.py``.

The generator is written apart from the scoring and on purpose with a different physics: the
odour travels as puffs released every 10 minutes and carried by a *true* wind that meanders minute
by minute, turns, stalls in calm spells; the met stations report that wind with their own error,
offset and gaps. Puffs spread by a random-walk diffusion (not the Pasquill–Gifford sigmas the trace
uses). Complainants are drawn from the population of communities where the puff concentration is
above an odour threshold, with reporting delays, location noise and descriptors drawn from the
source's *true* smell (which the editable table does not always list) with confusion. Around each
source, plants of other industries stand on the same bearing at other distances (nearer to the
complainants and farther), and decoys stand upwind; monitors read a diurnal background, the chronic
emissions of every plant and the episode.

Everything in one episode comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitoring.evidence.model import Candidate, Complaint, Monitor, Scene, WalkPeak, cpf_by_sector
from monitoring.odour_profiles import ODOUR_TYPES, profile_for
from monitoring.wind import Station, station_from_readings

HOUR = 3600.0
DAY = 86400.0
T_BASE = 1_782_835_200.0  # 2026-07-01 00:00 +08:00 as epoch seconds (16:00 UTC the day before)
ODOROUS = ["焦化", "污水处理", "垃圾填埋", "垃圾焚烧", "屠宰", "养殖", "制药", "钛白粉", "涂装", "橡胶", "造纸",
           "沥青", "化工", "塑料", "印染"]
OTHERS = ["冶炼", "电力", "水泥", "混凝土", "建材", "铸造", "电子材料"]
POLLUTANTS = ["a21028", "a21001", "a24088", "a99990", "a21026"]
BACKGROUND = {"a21028": 0.002, "a21001": 0.08, "a24088": 0.6, "a99990": 8.0, "a21026": 0.015}


@dataclass
class Settings:
    """Knobs of the city; the evaluation split uses other values than the tuning split."""

    size_m: float = 40000.0
    plants: int = 30
    communities: int = 140
    monitors: int = 12
    stations: int = 2
    decoys: tuple[int, int] = (2, 4)
    minute_share: float = 0.5
    table_gap: float = 0.15  # chance the true smell has a type the table does not list
    calm_share: float = 0.08


DEV = Settings()
EVAL = Settings(plants=36, communities=160, monitors=14, stations=3, decoys=(2, 5), minute_share=0.4,
                table_gap=0.2, calm_share=0.1)


@dataclass
class Episode:
    seed: int
    scene: Scene
    source_id: int
    # extra for the old rule: every station reading, including after the complaints
    station_readings: list[tuple[np.ndarray, np.ndarray]]  # (time, from_deg) per station
    exceed_counts: dict[int, int]  # plant -> hours over a limit at its own boundary monitor
    hard: bool


def _local_hour(t: np.ndarray | float) -> np.ndarray:
    return np.asarray(((np.asarray(t) - T_BASE) % DAY) / HOUR)


def _true_wind(rng: np.random.Generator, hours: int, calm_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Hourly direction (from, degrees) and speed: a mean-reverting walk, diurnal speed, calm spells."""
    prevailing = rng.uniform(0, 360)
    d = np.empty(hours)
    d[0] = prevailing + rng.normal(0, 40)
    for h in range(1, hours):
        pull = ((prevailing - d[h - 1] + 180) % 360 - 180) * 0.05
        d[h] = d[h - 1] + pull + rng.normal(0, 12)
    lh = np.arange(hours) % 24
    day = np.exp(-0.5 * ((lh - 14) / 4.0) ** 2)
    s = np.exp(rng.normal(np.log(1.6), 0.35, hours)) * (0.7 + 0.9 * day)
    # Calm spells: runs of 1-4 h, mostly at night.
    n_spells = int(hours * calm_share / 2.5)
    for _ in range(n_spells):
        h0 = int(rng.integers(0, hours - 4))
        if 6 <= lh[h0] <= 17 and rng.random() < 0.7:
            continue
        s[h0:h0 + int(rng.integers(1, 5))] = rng.uniform(0.1, 0.45)
    return d % 360, s


def _chronic(plants_xy: np.ndarray, rates: np.ndarray, mx: float, my: float, dirs: np.ndarray,
             speeds: np.ndarray) -> np.ndarray:
    """Hourly chronic contribution of every plant at one monitor (a steady angular-kernel plume)."""
    dx, dy = mx - plants_xy[:, 0], my - plants_xy[:, 1]
    dist = np.maximum(np.hypot(dx, dy), 200.0)
    bearing = np.degrees(np.arctan2(dx, dy))  # plant -> monitor
    toward = (dirs + 180.0) % 360.0
    delta = (bearing[None, :] - toward[:, None] + 180) % 360 - 180
    k = np.exp(-0.5 * (delta / 20.0) ** 2) * (1000.0 / dist[None, :]) ** 1.3 / np.maximum(speeds[:, None], 0.5)
    return np.asarray((k * rates[None, :]).sum(axis=1))


def _puffs(rng: np.random.Generator, src: np.ndarray, t_start: float, t_end: float, wind_at_t, receptors: np.ndarray,
           times: np.ndarray, strength: float) -> np.ndarray:
    """Concentration at receptors (rows) and times (columns) from puffs every 10 min."""
    conc = np.zeros((len(receptors), len(times)))
    step = 600.0
    for t_rel in np.arange(t_start, t_end, step):
        x, y, sig2 = src[0], src[1], 40.0 ** 2
        t = t_rel
        # each puff meanders on its own: an AR(1) direction offset
        meander = 0.0
        for _ in range(int(14 * HOUR / step)):
            d, s, night = wind_at_t(t)
            meander = 0.8 * meander + rng.normal(0, 14.0 if night else 9.0)
            rad = np.radians(d + 180.0 + meander)
            x += np.sin(rad) * s * step
            y += np.cos(rad) * s * step
            kdiff = (0.35 if night else 1.2) * max(s, 0.5) * 1.0 + (2.0 if s < 0.5 else 0.0)
            sig2 += 2.0 * kdiff * step * 30.0 / 30.0 + (0.08 * s * step) ** 2
            t += step
            j = np.searchsorted(times, t)
            if j >= len(times):
                break
            r2 = (receptors[:, 0] - x) ** 2 + (receptors[:, 1] - y) ** 2
            conc[:, j] += strength * step / (2 * np.pi * sig2) * np.exp(-0.5 * r2 / sig2) * (1.0 if night else 0.5)
    return conc


def episode(seed: int, settings: Settings = DEV) -> Episode:
    """One synthetic odour episode and everything the trace would read about it."""
    rng = np.random.default_rng(seed)
    half = settings.size_m / 2
    days = 32
    hours = days * 24
    dirs, speeds = _true_wind(rng, hours, settings.calm_share)
    # The episode on day 31, mostly at night.
    start_h = 30 * 24 + (int(rng.integers(19, 27)) if rng.random() < 0.65 else int(rng.integers(7, 19)))
    duration_h = float(rng.uniform(2, 8))
    t0 = T_BASE + start_h * HOUR
    shift = rng.random() < 0.4
    if shift:  # the wind turns during the 6 h before the complaints
        h_turn = start_h + int(rng.integers(-3, 3))
        dirs[h_turn:] = (dirs[h_turn:] + rng.choice([-1, 1]) * rng.uniform(45, 120)) % 360

    def true_wind(t: float) -> tuple[float, float, bool]:
        h = int(np.clip((t - T_BASE) // HOUR, 0, hours - 1))
        lh = float(_local_hour(t))
        return float(dirs[h]), float(speeds[h]), not (7 <= lh < 19)

    # Source: a plant of an odorous industry somewhere in the city.
    src_ind = str(rng.choice(ODOROUS))
    src = rng.uniform(-half * 0.7, half * 0.7, 2)
    mean_dir = float(np.degrees(np.arctan2(np.mean(np.sin(np.radians(dirs[start_h:start_h + 4]))),
                                           np.mean(np.cos(np.radians(dirs[start_h:start_h + 4]))))) % 360)
    down = np.radians(mean_dir + 180.0)
    axis = np.array([np.sin(down), np.cos(down)])
    normal = np.array([axis[1], -axis[0]])
    plants_xy = [src]
    industries = [src_ind]
    n_decoys = int(rng.integers(settings.decoys[0], settings.decoys[1] + 1))
    for _ in range(n_decoys):  # the hard case: same bearing, other distances, often other smells
        along = rng.uniform(1500, 12000) if rng.random() < 0.6 else -rng.uniform(2000, 10000)
        plants_xy.append(src + along * axis + rng.normal(0, 250) * normal)
        industries.append(str(rng.choice(ODOROUS + OTHERS)))
    while len(plants_xy) < settings.plants:
        plants_xy.append(rng.uniform(-half, half, 2))
        industries.append(str(rng.choice(ODOROUS + OTHERS)))
    pxy = np.array(plants_xy)
    profiles = [profile_for(ind) for ind in industries]
    true_types = set(profiles[0].odour_types)
    if rng.random() < settings.table_gap:
        true_types.add(str(rng.choice([t for t in ODOUR_TYPES if t not in true_types and t != "dust"])))

    # Communities, weighted toward the source's downwind side so that episodes reach people.
    n_comm = settings.communities
    comm = rng.uniform(-half, half, (n_comm, 2))
    pop = np.exp(rng.normal(np.log(4000), 0.7, n_comm))

    # Met stations: true wind + error, offset, gaps.
    st_xy = rng.uniform(-half * 0.5, half * 0.5, (settings.stations, 2))
    minute = rng.random() < settings.minute_share
    stations: list[Station] = []
    raw_readings = []
    for s in range(settings.stations):
        offset = rng.normal(0, 8)
        t_h = T_BASE + np.arange(hours) * HOUR
        d_h = (dirs + offset + rng.normal(0, 8, hours)) % 360
        sp_h = np.maximum(speeds * rng.normal(1, 0.12, hours), 0.0)
        keep = rng.random(hours) > 0.05
        if rng.random() < 0.3:  # a gap of a few hours around the episode
            g0 = start_h + int(rng.integers(-6, 2))
            keep[g0:g0 + int(rng.integers(1, 5))] = False
        if minute:
            # minute data for the last two days: the hourly value plus meander
            m_start = (days - 2) * 24
            t_m = T_BASE + m_start * HOUR + np.arange(48 * 60) * 60.0
            hh = m_start + np.arange(48 * 60) // 60
            night = ~((_local_hour(t_m) >= 7) & (_local_hour(t_m) < 19))
            sd = np.where(speeds[hh] < 0.5, 70.0, np.where(night, 18.0, 12.0))
            d_m = (d_h[hh] + rng.normal(0, 1, t_m.size) * sd) % 360
            sp_m = np.maximum(sp_h[hh] * rng.normal(1, 0.2, t_m.size), 0.0)
            km = keep[hh]
            tt = np.concatenate([t_h[:m_start][keep[:m_start]], t_m[km]])
            dd = np.concatenate([d_h[:m_start][keep[:m_start]], d_m[km]])
            ss = np.concatenate([sp_h[:m_start][keep[:m_start]], sp_m[km]])
            iv = np.concatenate([np.full(int(keep[:m_start].sum()), 3600.0), np.full(int(km.sum()), 60.0)])
        else:
            tt, dd, ss, iv = t_h[keep], d_h[keep], sp_h[keep], np.full(int(keep.sum()), 3600.0)
        stations.append(station_from_readings(st_xy[s, 0], st_xy[s, 1], tt, dd, ss, iv))
        raw_readings.append((tt, dd))

    # The episode's puffs at communities and monitors.
    strength = float(np.exp(rng.normal(np.log(1.2e6), 1.1)))
    t_grid = T_BASE + np.arange(start_h - 24, start_h + 24) * HOUR
    t_fine = np.arange(t_grid[0], t_grid[-1], 600.0)
    mon_xy = []
    mon_pol: list[list[str]] = []
    mon_owner: list[int | None] = []
    for k in range(settings.monitors):
        if k < settings.monitors // 3:  # boundary monitors of random plants
            owner = int(rng.integers(0, len(pxy)))
            mon_xy.append(pxy[owner] + rng.normal(0, 250, 2))
            mon_owner.append(owner)
        else:
            mon_xy.append(rng.uniform(-half, half, 2))
            mon_owner.append(None)
        mon_pol.append(sorted(rng.choice(POLLUTANTS, int(rng.integers(2, 5)), replace=False).tolist()))
    mxy = np.array(mon_xy)
    receptors = np.vstack([comm, mxy])
    conc = _puffs(rng, src, t0, t0 + duration_h * HOUR, true_wind, receptors, t_fine, strength)
    c_comm, c_mon = conc[:n_comm], conc[n_comm:]

    # Complaints: people smell it above the threshold; delays, noise, descriptors.
    threshold = 1.0
    complaints: list[Complaint] = []
    for ci in range(n_comm):
        over = np.flatnonzero(c_comm[ci] > threshold)
        for j in over:
            rate = pop[ci] / 4000.0 * min(np.log(c_comm[ci, j] / threshold) + 0.3, 3.0) * 0.05
            for _ in range(int(rng.poisson(rate))):
                t = t_fine[j] + rng.exponential(900.0)
                xy = comm[ci] + rng.normal(0, 250, 2)
                if np.hypot(*(xy - src)) > 25000:  # farther than the 25 km: not this study
                    continue
                if rng.random() < 0.25:
                    desc: frozenset[str] = frozenset()
                elif rng.random() < 0.75:
                    desc = frozenset({str(rng.choice(sorted(true_types)))})
                else:
                    desc = frozenset({str(rng.choice(ODOUR_TYPES[:-1]))})
                complaints.append(Complaint(len(complaints) + 1, float(xy[0]), float(xy[1]), float(t),
                                            float(_local_hour(t)), desc))
    if len(complaints) > 60:
        keep_idx = rng.choice(len(complaints), 60, replace=False)
        complaints = [complaints[i] for i in sorted(keep_idx)]
    complaints.sort(key=lambda c: c.t)

    last_complaint = max((c.t for c in complaints), default=t0)
    # Monitors: background, chronic plants, the episode; hourly history for the CPF.
    rates = {p: np.array([BACKGROUND[p] * rng.uniform(0.5, 3.0) if p in prof.pollutants else 0.0 for prof in profiles])
             for p in POLLUTANTS}
    src_boost = {p: (6.0 if p in profiles[0].pollutants else 0.0) for p in POLLUTANTS}
    monitors: list[Monitor] = []
    hist_t = T_BASE + np.arange(hours) * HOUR
    st_near = [int(np.argmin(np.hypot(*(st_xy - m).T))) for m in mxy]
    exceed: dict[int, int] = {}
    for k in range(len(mxy)):
        st = stations[st_near[k]]
        hourly = st.interval_s >= 3600
        for p in mon_pol[k]:
            chronic = _chronic(pxy, rates[p], mxy[k, 0], mxy[k, 1], dirs, speeds)
            diurnal = BACKGROUND[p] * (1 + 0.3 * np.sin(2 * np.pi * (_local_hour(hist_t) - 8) / 24))
            hist = diurnal * np.exp(rng.normal(0, 0.15, hours)) + chronic
            before = hist_t < t0 - 3 * HOUR
            cpf, n = cpf_by_sector(np.interp(hist_t[before], st.start[hourly], st.from_deg[hourly]), hist[before])
            fine = np.interp(t_fine, hist_t, hist) * np.exp(rng.normal(0, 0.08, t_fine.size))
            fine = fine + src_boost[p] * BACKGROUND[p] * c_mon[k]
            # As the trace reads them: hourly maxima of the hours that had ended by the last complaint.
            hour = ((t_fine - T_BASE) // HOUR).astype(int)
            starts = np.unique(hour)
            maxima = np.array([fine[hour == h].max() for h in starts])
            done = T_BASE + (starts + 1) * HOUR <= last_complaint
            monitors.append(Monitor(f"S{k:02d}", float(mxy[k, 0]), float(mxy[k, 1]), p,
                                    T_BASE + starts[done] * HOUR, maxima[done], cpf, n))
            owner = mon_owner[k]
            if owner is not None and p in ("a21001", "a21026", "a24088"):  # legal limits exist for these
                exceed[owner] = exceed.get(owner, 0) + int((fine > 4 * BACKGROUND[p]).sum() > 0)

    # Walk-navigation: sometimes a vehicle crosses the plume near the source; sometimes a stray peak.
    peaks: list[WalkPeak] = []
    if rng.random() < 0.3 and profiles[0].pollutants:
        for _ in range(int(rng.integers(1, 4))):
            dist = rng.uniform(500, 3000)
            xy = src + dist * axis + rng.normal(0, 150, 2)
            pol = str(rng.choice(sorted(profiles[0].pollutants)))
            peaks.append(WalkPeak("W01", float(xy[0]), float(xy[1]), t0 + rng.uniform(0.5, 2) * HOUR, pol,
                                  float(10 * BACKGROUND.get(pol, 1.0)), float(BACKGROUND.get(pol, 1.0))))
    if rng.random() < 0.3:
        other = int(rng.integers(1, len(pxy)))
        if profiles[other].pollutants:
            xy = pxy[other] + rng.normal(0, 400, 2)
            pol = str(rng.choice(sorted(profiles[other].pollutants)))
            peaks.append(WalkPeak("W02", float(xy[0]), float(xy[1]), t0 + rng.uniform(0, 2) * HOUR, pol,
                                  float(5 * BACKGROUND.get(pol, 1.0)), float(BACKGROUND.get(pol, 1.0))))

    order = rng.permutation(len(pxy))  # the source is not always first
    cands = [Candidate(int(i) + 1, f"P{int(i) + 1:02d}-{industries[i]}", float(pxy[i, 0]), float(pxy[i, 1]), profiles[i])
             for i in order]
    exceed_ids = {int(i) + 1: n for i, n in exceed.items()}
    hard = n_decoys > 0
    return Episode(seed, Scene(complaints, cands, stations, monitors, peaks), 1, raw_readings, exceed_ids, hard)
