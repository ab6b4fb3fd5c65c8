"""Minute-resolution simulation of weather, emissions and monitor readings.

A deliberately simple model, good enough to make traces line up:
reading = regional background + sum over enterprises of emission(t) * K, where
K = exp(-0.5 (delta/25deg)^2) * (200 m / d)^1.2 * 1.5/u * stability(hour),
delta being the angle between the downwind direction and the bearing source -> point.
Distances are in local metres (UTM 50N frame, see gen_common).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from gen_common import N_HOURS, N_MINUTES, PERIOD_START, TZ, angle_diff, minute_of, smooth_noise
from gen_episodes import EPISODES, profile
from gen_sensors import GAS_CODES, SPAN

FLAG_CHARS = "NMDC"  # index = stored flag code
# per enterprise: {code: base source strength}, operating pattern
SOURCES = {
    "铜化有机化工": (
        {
            "a21001": 0.25,
            "a21028": 0.008,
            "a24088": 0.8,
            "a99990": 8,
            "a34004": 3,
            "a34002": 5,
            "a21026": 0.01,
            "a21002": 0.01,
        },
        "24h",
    ),
    "安纳达钛业": ({"a21026": 0.10, "a99990": 4, "a34004": 4, "a34002": 8, "a21002": 0.01}, "24h"),
    "铜港焦化": (
        {
            "a21001": 0.2,
            "a21028": 0.01,
            "a24088": 0.6,
            "a21026": 0.05,
            "a34002": 15,
            "a34004": 6,
            "a99990": 6,
        },
        "24h",
    ),
    "金桥磷化工": ({"a21026": 0.08, "a21001": 0.1, "a99990": 3}, "24h"),
    "铜峰冶炼": ({"a21026": 0.25, "a21002": 0.05, "a34004": 10, "a34002": 20}, "24h"),
    "江南水泥": (
        {"a34001": 120, "a34002": 70, "a34004": 15, "a21026": 0.03, "a21002": 0.10},
        "24h",
    ),
    "江滨发电": ({"a21026": 0.05, "a21002": 0.08, "a34004": 5, "a34002": 8}, "24h"),
    "城北污水处理厂": ({"a21001": 0.3, "a21028": 0.02, "a99990": 12}, "24h"),
    "绿能垃圾焚烧发电厂": ({"a21001": 0.2, "a21028": 0.01, "a99990": 10, "a21002": 0.06}, "24h"),
    "城东生猪屠宰场": ({"a21001": 0.2, "a21028": 0.01, "a99990": 10}, "night"),
    "长江纸业": ({"a21028": 0.02, "a99990": 8}, "24h"),
    "锦纶印染": ({"a24088": 0.5, "a99990": 6}, "day"),
    "路桥沥青搅拌站": ({"a24088": 0.6, "a99990": 5, "a34002": 20}, "day"),
    "城建商品混凝土搅拌站": ({"a34002": 40, "a34004": 8, "a34001": 80}, "day"),
    "天门建材": ({"a34002": 30, "a34001": 60}, "day"),
    "铜都铸造厂": ({"a34002": 20, "a34004": 6}, "day"),
    "铜箔电子材料": ({"a24088": 0.3}, "24h"),
    "翠湖苑三期项目工地": ({"a34002": 30, "a34001": 60}, "day"),
}
NIGHT_PUFF = {"铜化有机化工", "安纳达钛业", "铜港焦化", "金桥磷化工", "长江纸业"}
FLOOR = {
    "a21001": 0.005,
    "a21028": 0.0005,
    "a24088": 0.03,
    "a99990": 0.5,
    "a21026": 0.002,
    "a21002": 0.003,
    "a21005": 0.03,
    "a05024": 2.0,
    "a34004": 2.0,
    "a34002": 3.0,
    "a34001": 4.0,
}
EXTRA_NIGHT_WORK = ["2026-09-26", "2026-10-03", "2026-10-16"]  # 22:00-23:40 at 翠湖苑 site
FORCED_EVENTS = [  # sensor, flag, start, minutes  (so the minute windows contain flags)
    ("S08", "M", "2026-08-14 10:00", 90),
    ("S06", "D", "2026-08-15 14:00", 150),
    ("M01", "M", "2026-09-05 08:30", 60),
    ("S04", "M", "2026-09-06 15:00", 120),
]


def _dt(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


@dataclass
class Sim:
    hod: np.ndarray
    dow: np.ndarray
    wind_from: np.ndarray
    wind_speed: np.ndarray
    temp: np.ndarray
    rh: np.ndarray
    stab: np.ndarray
    bg: dict = field(default_factory=dict)
    emis: dict = field(default_factory=dict)  # (enterprise, code) -> float32 array
    src_xy: dict = field(default_factory=dict)
    series: dict = field(default_factory=dict)  # sensor id -> code -> (values, flags)

    def kfactor(self, sx, sy, px, py, midx):
        """Dispersion factor from a source at (sx, sy) to points (px, py) at minutes midx."""
        dx, dy = np.asarray(px) - sx, np.asarray(py) - sy
        d = np.hypot(dx, dy)
        brg = np.degrees(np.arctan2(dx, dy)) % 360.0
        delta = angle_diff(brg, self.wind_from[midx] + 180.0)
        ang = np.exp(-0.5 * (delta / 25.0) ** 2) + 0.02
        dist = (200.0 / np.maximum(d, 120.0)) ** 1.2
        wind = np.minimum(1.5 / np.maximum(self.wind_speed[midx], 0.5), 3.0)
        return ang * dist * wind * self.stab[midx]

    def local(self, code, px, py, midx):
        """Sum of enterprise contributions of `code` at points (px, py), minutes midx."""
        tot = np.zeros(np.shape(midx))
        for (name, c), e in self.emis.items():
            if c != code:
                continue
            sx, sy = self.src_xy[name]
            tot += e[midx] * self.kfactor(sx, sy, px, py, midx)
        return tot


def _slow(rng, tau_h):
    """Minute series interpolated from an hourly smooth noise (unit variance)."""
    h = smooth_noise(rng, N_HOURS + 1, tau_h)
    return np.interp(np.arange(N_MINUTES) / 60.0, np.arange(N_HOURS + 1), h)


def _episode_weight(ep, lead=120, lag=60, ramp=60):
    w = np.zeros(N_MINUTES)
    a, b = ep.m0 - lead, ep.m1 + lag
    t = np.arange(N_MINUTES)
    w = np.clip(np.minimum((t - (a - ramp)) / ramp, ((b + ramp) - t) / ramp), 0, 1)
    return w


def simulate_met(rng) -> Sim:
    m = np.arange(N_MINUTES)
    hod = (m % 1440) / 60.0
    day = m // 1440
    dow = (PERIOD_START.weekday() + day) % 7
    # hourly wind direction: mean-reverting walk around a seasonal prevailing direction
    hday = np.arange(N_HOURS) / 24.0
    prevailing = np.interp(hday, [0, 30, 45, 70, 92], [140, 120, 75, 50, 40])
    theta = np.empty(N_HOURS)
    theta[0] = prevailing[0]
    steps = rng.normal(0, 18, N_HOURS)
    for i in range(1, N_HOURS):
        theta[i] = theta[i - 1] + 0.08 * angle_diff(prevailing[i], theta[i - 1]) + steps[i]
    hh = np.arange(N_HOURS) % 24
    spd_h = (
        2.0
        * np.exp(0.35 * smooth_noise(rng, N_HOURS, 12))
        * (1 + 0.3 * np.sin(2 * np.pi * (hh - 9) / 24))
    )
    tc = np.arange(N_HOURS) + 0.5
    x = m / 60.0
    u = np.interp(x, tc, np.sin(np.radians(theta)))
    v = np.interp(x, tc, np.cos(np.radians(theta)))
    wdir = np.degrees(np.arctan2(u, v)) % 360
    wspd = np.interp(x, tc, spd_h) * np.exp(0.12 * smooth_noise(rng, N_MINUTES, 3))
    for ep in EPISODES:
        if ep.kind == "noise":
            continue
        w = _episode_weight(ep)
        r = np.random.default_rng(ep.seed) if ep.seed is not None else rng
        wdir = (wdir + w * angle_diff(ep.wind_from, wdir)) % 360
        wspd = wspd * (1 - w) + w * ep.wind_speed * np.exp(0.15 * smooth_noise(r, N_MINUTES, 20))
    wdir = (wdir + 6.0 * smooth_noise(rng, N_MINUTES, 4)) % 360
    wspd = np.clip(wspd, 0.2, 9.0)
    tmean = 29.5 - 0.11 * (m / 1440.0) + 1.5 * _slow(rng, 36)
    temp = (
        tmean
        + 4.0 * np.cos(2 * np.pi * (hod - 14.5) / 24)
        + 0.15 * smooth_noise(rng, N_MINUTES, 10)
    )
    rh = np.clip(72 - 3.0 * (temp - tmean) + 8 * _slow(rng, 24), 30, 99)
    stab = 1.2 + 0.45 * np.cos(2 * np.pi * (hod - 2) / 24)
    return Sim(hod, dow, wdir, wspd, temp, rh, stab)


def build_background(rng, sim: Sim) -> None:
    hod = sim.hod
    doy = np.arange(N_MINUTES) / 1440.0
    pm25 = (
        35
        * np.exp(0.3 * _slow(rng, 60))
        * (1 + 0.15 * np.cos(2 * np.pi * (hod - 8) / 24))
        * (1 + 0.2 * doy / 92)
    )
    sim.bg["a34004"] = pm25
    sim.bg["a34002"] = pm25 * 1.65 + 10 * np.exp(0.3 * _slow(rng, 24))
    sim.bg["a34001"] = sim.bg["a34002"] * 1.35 + 15
    sim.bg["a21026"] = 0.012 * np.exp(0.3 * _slow(rng, 30))
    rush = np.exp(-0.5 * ((hod - 8) / 1.2) ** 2) + np.exp(-0.5 * ((hod - 18) / 1.5) ** 2)
    sim.bg["a21002"] = 0.030 * (1 + 0.6 * rush) * np.exp(0.25 * _slow(rng, 24))
    sim.bg["a21001"] = (
        0.09 * np.exp(0.3 * _slow(rng, 24)) * (1 + 0.25 * np.cos(2 * np.pi * (hod - 3) / 24))
    )
    sim.bg["a21028"] = 0.003 * np.exp(0.3 * _slow(rng, 24))
    sim.bg["a24088"] = (
        0.55 * np.exp(0.2 * _slow(rng, 24)) * (1 + 0.2 * np.cos(2 * np.pi * (hod - 4) / 24))
    )
    sim.bg["a99990"] = 3.0 * np.exp(0.3 * _slow(rng, 12))
    sim.bg["a21005"] = 0.65 * (1 + 0.3 * rush) * np.exp(0.2 * _slow(rng, 36))
    sun = np.clip(np.sin(np.pi * (hod - 8) / 12), 0, None) ** 1.5
    sim.bg["a05024"] = (25 + 110 * sun * (1.2 - 0.4 * doy / 92)) * np.exp(0.25 * _slow(rng, 48))


def build_emissions(rng, sim: Sim, enterprises) -> None:
    ents = {e.name: e for e in enterprises}
    for name, (codes, pattern) in SOURCES.items():
        c = ents[name].geom.centroid
        sim.src_xy[name] = (c.x, c.y)
        mod = np.exp(0.35 * _slow(rng, 3) + 0.2 * smooth_noise(rng, N_MINUTES, 20))
        if pattern == "day":
            mod *= ((sim.hod >= 7) & (sim.hod < 19) & (sim.dow < 6)) * 1.0 + 0.05
        elif pattern == "night":
            mod *= np.where((sim.hod >= 1) & (sim.hod < 7), 1.6, 0.7)
        n_puffs = rng.poisson(92 / 5)
        for _ in range(n_puffs):
            day = rng.integers(0, 92)
            hour = (
                rng.choice([21, 22, 23, 0, 1, 2, 3])
                if (name in NIGHT_PUFF and rng.random() < 0.7)
                else rng.integers(0, 24)
            )
            s0 = int(day * 1440 + hour * 60 + rng.integers(0, 60))
            dur = int(rng.integers(20, 90))
            mod[s0 : s0 + dur] *= rng.uniform(2, 5)
        for code, base in codes.items():
            sim.emis[name, code] = (base * mod).astype(np.float32)
    for ep in EPISODES:
        if ep.kind == "noise":
            continue
        prof = profile(ep, N_MINUTES, np.random.default_rng(ep.seed + 1) if ep.seed is not None else rng)
        for code, amp in ep.amplitude.items():
            key = (ep.source, code)
            sim.emis[key] = (sim.emis[key] + amp * prof).astype(np.float32)


def _noise_series(rng, sim: Sim, sid: str) -> np.ndarray:
    hod, dow = sim.hod, sim.dow
    day = (hod >= 6) & (hod < 22)

    def add(a, b):
        return 10 * np.log10(10 ** (a / 10) + 10 ** (b / 10))

    if sid == "N01":
        base = np.where(day, 52.0, 44.0) + 2.0 * smooth_noise(rng, N_MINUTES, 15)
        work = (((hod >= 8) & (hod < 12)) | ((hod >= 14) & (hod < 18))) & (dow < 6)
        site = np.where(work, 61.0 + 3.0 * smooth_noise(rng, N_MINUTES, 5), -50.0)
        for d in EXTRA_NIGHT_WORK:
            a = minute_of(_dt(d + " 22:00"))
            site[a : a + 100] = 64.0 + 3.0 * rng.standard_normal(100)
        ep = next(e for e in EPISODES if e.id == "E4")
        n = ep.m1 - ep.m0
        site[ep.m0 : ep.m1] = (
            ep.amplitude["LA"] + 2.5 * smooth_noise(rng, n, 3) + 6.0 * (rng.random(n) < 0.1)
        )
        return add(base, site) + 0.5 * rng.standard_normal(N_MINUTES)
    rush = np.exp(-0.5 * ((hod - 8) / 1.2) ** 2) + np.exp(-0.5 * ((hod - 18) / 1.5) ** 2)
    base = np.where(day, 63.0 + 3.0 * rush, 52.0) + 1.5 * smooth_noise(rng, N_MINUTES, 10)
    trucks = (~day) & (rng.random(N_MINUTES) < 0.08)
    return base + trucks * rng.uniform(8, 12, N_MINUTES) + 0.6 * rng.standard_normal(N_MINUTES)


def simulate_sensors(rng, sim: Sim, sensors) -> None:
    for s in sensors:
        if s.kind == "mobile":
            continue
        out = {}
        if s.kind == "met":
            out["a01007"] = sim.wind_speed + 0.1 * rng.standard_normal(N_MINUTES).clip(-2, 2)
            out["a01008"] = sim.wind_from.copy()
            out["a01001"] = sim.temp.copy()
            out["a01002"] = sim.rh.copy()
            out["a01007"] = np.clip(out["a01007"], 0.1, None)
        for code in s.codes:
            if code == "LA":
                out[code] = _noise_series(rng, sim, s.id)
            elif s.kind == "fixed":
                midx = np.arange(N_MINUTES)
                val = sim.bg[code] * (1 + 0.04 * rng.standard_normal()) + sim.local(
                    code, s.x, s.y, midx
                )
                val = val * (1 + 0.04 * rng.standard_normal(N_MINUTES)) + FLOOR[
                    code
                ] * rng.standard_normal(N_MINUTES)
                out[code] = np.maximum(val, FLOOR[code] * 0.5)
        sim.series[s.id] = {c: (out[c], np.zeros(N_MINUTES, np.uint8)) for c in s.codes}


def _exclusion():
    bad = np.zeros(N_MINUTES, bool)
    for ep in EPISODES:
        bad[max(0, ep.m0 - 720) : ep.m1 + 720] = True
    return bad


def apply_flags(rng, sim: Sim, sensors) -> None:
    """Maintenance (M), faults (D, value frozen) and weekly calibrations (C, span gas)."""
    bad = _exclusion()
    fixed = [s for s in sensors if s.kind != "mobile"]
    for i, s in enumerate(fixed):
        ser = sim.series[s.id]
        events = []
        for _ in range(int(rng.integers(3, 6))):
            for _try in range(20):
                a = int(rng.integers(0, 92)) * 1440 + 9 * 60 + int(rng.integers(0, 120))
                n = int(rng.integers(60, 181))
                if not bad[a : a + n].any():
                    events.append(("M", a, n))
                    break
        if s.kind == "fixed" and rng.random() < 0.5:
            for _try in range(20):
                a, n = int(rng.integers(0, N_MINUTES - 700)), int(rng.integers(180, 601))
                if not bad[a : a + n].any():
                    events.append(("D", a, n))
                    break
        if s.kind == "fixed":
            for monday in range(2, 92, 7):  # 2026-08-03 is the first Monday
                a = monday * 1440 + 600 + 20 * i
                if not bad[a : a + 15].any():
                    events.append(("C", a, 15))
        for sid, f, t0, n in FORCED_EVENTS:
            if sid == s.id:
                events.append((f, minute_of(_dt(t0)), n))
        for f, a, n in events:
            for code, (vals, flags) in ser.items():
                if f == "C" and code not in GAS_CODES:
                    continue
                flags[a : a + n] = FLAG_CHARS.index(f)
                if f == "M" and code not in ("LA",) and not code.startswith("a01"):
                    vals[a : a + n] *= rng.uniform(0.05, 0.3, n)
                elif f == "D":
                    vals[a : a + n] = vals[a - 1]
                elif f == "C":
                    vals[a : a + n] = SPAN[code] * (1 + 0.01 * rng.standard_normal(n))


def hourly(values: np.ndarray, flags: np.ndarray, code: str):
    """Hourly Avg/Min/Max/flag from minute data (>= 45 N minutes -> N over N minutes)."""
    v = values.reshape(N_HOURS, 60)
    f = flags.reshape(N_HOURS, 60)
    okn = f == 0
    valid = okn.sum(1) >= 45
    mask = np.where(valid[:, None], okn, True)
    if code == "LA":
        e = np.where(mask, 10 ** (v / 10), 0).sum(1) / mask.sum(1)
        avg = 10 * np.log10(e)
    elif code == "a01008":
        r = np.radians(v)
        avg = (
            np.degrees(
                np.arctan2(np.where(mask, np.sin(r), 0).sum(1), np.where(mask, np.cos(r), 0).sum(1))
            )
            % 360
        )
    else:
        avg = np.where(mask, v, 0).sum(1) / mask.sum(1)
    mn = np.where(mask, v, np.inf).min(1)
    mx = np.where(mask, v, -np.inf).max(1)
    counts = np.stack([(f == k).sum(1) for k in range(len(FLAG_CHARS))], 1)
    counts[:, 0] = -1
    hflag = np.where(valid, 0, counts.argmax(1)).astype(np.uint8)
    return avg, mn, mx, hflag


def run(rngs, sensors, enterprises) -> Sim:
    sim = simulate_met(rngs["met"])
    build_background(rngs["sensors"], sim)
    build_emissions(rngs["sensors"], sim, enterprises)
    simulate_sensors(rngs["sensors"], sim, sensors)
    apply_flags(rngs["flags"], sim, sensors)
    return sim
