"""Pollution episodes: the shared truth behind complaint bursts and sensor peaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from gen_common import TZ, iso, minute_of


@dataclass
class Episode:
    id: str
    title: str
    kind: str  # odour | dust | noise
    start: datetime
    end: datetime
    source: str  # enterprise name
    pollutants: list[str]  # HJ 212 codes that rise
    amplitude: dict[str, float]  # source strength (model units) during the plateau
    wind_from: float  # degrees, meteorological (direction the wind comes FROM)
    wind_speed: float  # m/s
    wind_text: str
    affected: list[str]  # communities
    n_complaints: int
    categories: list[str]  # primary categories of the complaints
    extra: dict[str, float] = field(default_factory=dict)  # secondary category -> probability
    notes: str = ""
    seed: int | None = None  # an episode added later draws from its own stream (the others stay put)

    @property
    def m0(self) -> int:
        return minute_of(self.start)

    @property
    def m1(self) -> int:
        return minute_of(self.end)


def _t(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


EPISODES = [
    Episode(
        "E1",
        "铜化有机化工夜间异味（东北风）",
        "odour",
        _t("2026-08-14 20:00"),
        _t("2026-08-15 02:00"),
        "铜化有机化工",
        ["a21001", "a24088", "a99990", "a21028"],
        {"a21001": 4.0, "a24088": 9.0, "a99990": 110.0, "a21028": 0.25},
        45.0,
        1.4,
        "东北风 1-2 m/s，夜间静稳",
        ["焦化新村", "世界花园", "瑞龙公馆", "迎江花园", "金御华府"],
        46,
        ["odour"],
        {"industrial_exhaust": 0.15, "noise_industrial": 0.07},
        "walk-navigation run 1 (W01) crosses the plume 21:10-22:10",
    ),
    Episode(
        "E2",
        "安纳达钛业酸性刺激性气味（东风偏北）",
        "odour",
        _t("2026-09-05 22:00"),
        _t("2026-09-06 04:00"),
        "安纳达钛业",
        ["a21026", "a99990", "a34004", "a34002"],
        {"a21026": 2.2, "a99990": 50.0, "a34004": 40.0, "a34002": 70.0},
        80.0,
        1.6,
        "东风偏北 1-2 m/s",
        ["迎江花园", "金御华府", "瑞龙公馆", "世界花园"],
        30,
        ["odour"],
        {"industrial_exhaust": 0.35},
    ),
    Episode(
        "E3",
        "江南水泥厂区扬尘（西北风）",
        "dust",
        _t("2026-09-18 09:00"),
        _t("2026-09-18 17:00"),
        "江南水泥",
        ["a34001", "a34002", "a34004"],
        {"a34001": 6000.0, "a34002": 3500.0, "a34004": 700.0},
        315.0,
        3.5,
        "西北风 3-4 m/s，干燥",
        ["荷花塘小区", "新桥小区"],
        20,
        ["smoke_dust"],
        {"noise_industrial": 0.1},
    ),
    Episode(
        "E4",
        "翠湖苑三期项目工地夜间施工噪声",
        "noise",
        _t("2026-10-09 22:00"),
        _t("2026-10-10 04:00"),
        "翠湖苑三期项目工地",
        ["LA"],
        {"LA": 71.0},
        0.0,
        0.0,
        "与风向无关（噪声）",
        ["翠湖苑", "学府名苑", "狮子山小区"],
        16,
        ["noise_construction"],
        {"smoke_dust": 0.12},
    ),
    Episode(
        "E5",
        "铜化有机化工夜间异味复发（东北偏北风）",
        "odour",
        _t("2026-10-22 23:00"),
        _t("2026-10-23 05:00"),
        "铜化有机化工",
        ["a21001", "a24088", "a99990", "a21028"],
        {"a21001": 3.0, "a24088": 7.0, "a99990": 90.0, "a21028": 0.18},
        20.0,
        1.2,
        "东北偏北风 1-1.5 m/s，夜间静稳",
        ["瑞龙公馆", "迎江花园", "金御华府", "世界花园"],
        26,
        ["odour"],
        {"industrial_exhaust": 0.12},
    ),
    Episode(
        "E6",
        "绿能垃圾焚烧发电厂夜间恶臭远距离传输（东北偏东风）",
        "odour",
        _t("2026-10-03 21:00"),
        _t("2026-10-04 03:00"),
        "绿能垃圾焚烧发电厂",
        ["a21001", "a21028", "a99990"],
        {"a21001": 6.0, "a21028": 0.5, "a99990": 220.0},
        65.0,
        1.6,
        "东北偏东风 1-2 m/s，夜间静稳",
        ["焦化新村", "石城花园", "瑞龙公馆", "铜都花园", "世界花园"],
        28,
        ["odour"],
        {"industrial_exhaust": 0.1},
        "the hard kind: complaints 4-7 km downwind of the source; 铜化有机化工 (化工) lies nearer on"
        " almost the same bearing and smells of something else",
        seed=6006,
    ),
]
EPISODE_BY_ID = {e.id: e for e in EPISODES}
# sensor readings that clearly rise during each episode (sensor id -> codes)
ELEVATED = {
    "E1": {
        "S01": ["a21001", "a21028", "a24088", "a99990"],
        "S09": ["a21001", "a24088", "a99990"],
        "S10": ["a24088"],
        "W01": ["a24088", "a99990"],
    },
    "E2": {"S03": ["a21026", "a99990", "a34004", "a34002"], "S09": ["a21026"], "S10": ["a21026"]},
    "E3": {"S05": ["a34001", "a34002", "a34004"]},
    "E4": {"N01": ["LA"]},
    "E5": {"S01": ["a21001", "a21028", "a24088", "a99990"], "S10": ["a24088"]},
    "E6": {"S07": ["a21001", "a21028", "a99990"]},
}

# 72-hour windows written at 1-minute resolution (around E1 and E2)
MINUTE_WINDOWS = [
    (_t("2026-08-13 12:00"), _t("2026-08-16 12:00")),
    (_t("2026-09-04 13:00"), _t("2026-09-07 13:00")),
]


def profile(ep: Episode, n_minutes: int, rng: np.random.Generator) -> np.ndarray:
    """Source-strength multiplier over the whole period: 0 outside, ~1 on the plateau.

    30-minute ramps at both ends, minute-scale puffs on the plateau.
    """
    out = np.zeros(n_minutes)
    m0, m1 = ep.m0, ep.m1
    t = np.arange(m0, m1)
    ramp = np.minimum(1.0, np.minimum((t - m0 + 1) / 30.0, (m1 - t) / 30.0))
    k = 9
    w = rng.standard_normal(len(t) + k)
    puffs = np.convolve(w, np.ones(k) / np.sqrt(k), mode="valid")[: len(t)]
    out[m0:m1] = ramp * np.exp(0.3 * puffs - 0.045)
    return out


def episodes_json(communities_by_name) -> list[dict]:
    """The documented episode table (episodes.json)."""
    out = []
    for e in EPISODES:
        out.append(
            {
                "id": e.id,
                "title": e.title,
                "kind": e.kind,
                "start": iso(e.start),
                "end": iso(e.end),
                "source_enterprise": e.source,
                "pollutants": e.pollutants,
                "affected_communities": e.affected,
                "affected_community_codes": [communities_by_name[c].code for c in e.affected],
                "wind": (
                    {"from_deg": e.wind_from, "speed_ms": e.wind_speed, "text": e.wind_text}
                    if e.kind != "noise"
                    else {"from_deg": None, "speed_ms": None, "text": e.wind_text}
                ),
                "complaint_categories": e.categories,
                "n_complaints": None,  # filled in by the complaint generator
                "elevated_readings": ELEVATED[e.id],
                "notes": e.notes,
            }
        )
    return out
