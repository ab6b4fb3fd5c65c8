"""Complaint events (who, when, where, what) before they are written out per channel.

Three sources of events: background complaints spread over Aug-Oct 2026, chronic
complaints of repeat complainants, and bursts during the pollution episodes. Points
are true WGS-84 positions (kept in local metres here) at least 20 m inside the
complainant's community; 'street' complaints lie outside every community.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from shapely.geometry import Point

from gen_common import PERIOD_START, TZ, iso
from gen_episodes import EPISODES
from gen_profiles import (
    BG_WEIGHTS,
    CATEGORIES,
    GIVEN,
    HOUR_PROFILE,
    HOURS,
    PHONE_PREFIX,
    REPEATERS,
    SOURCES,
    STREET_SHARE,
    SURNAMES,
)
from gen_text import PAIRS


@dataclass
class Person:
    id: str
    name: str
    gender: str
    phone: str
    community: object | None
    home: tuple
    repeat: bool = False


@dataclass
class Complaint:
    t: datetime
    person: Person
    cats: list
    urgent: bool
    community: object | None
    point: tuple
    enterprise: object | None
    episode: str | None = None
    site: str = ""
    channel: str = ""
    file: str = ""
    id: str = ""
    key: str = ""
    duplicate_of: Complaint | None = None
    repeat_of: Complaint | None = None
    bad_row: str | None = None
    extra: dict = field(default_factory=dict)


class World:
    """Lookup helpers over the generated geography."""

    def __init__(self, rng, communities, enterprises, grids):
        self.rng = rng
        self.coms = {c.name: c for c in communities}
        self.ents = {e.name: e for e in enterprises}
        self.grids = grids
        self.obstacles = [a.geom.buffer(40) for a in communities + enterprises]
        self.persons: list[Person] = []
        self.phones: set[str] = set()
        self.by_com: dict[str, list[Person]] = {}

    def point_in(self, com) -> tuple:
        """Uniform random point at least 20 m inside a community polygon."""
        inner = com.geom.buffer(-20)
        x0, y0, x1, y1 = inner.bounds
        while True:
            p = Point(self.rng.uniform(x0, x1), self.rng.uniform(y0, y1))
            if inner.contains(p):
                return (p.x, p.y)

    def street_point(self, near) -> tuple:
        """A point 80-400 m from `near` (community or enterprise) and outside all of them."""
        c = near.geom.centroid
        while True:
            a = self.rng.uniform(0, 2 * np.pi)
            r = self.rng.uniform(80, 400) + np.sqrt(near.geom.area) / 2
            p = Point(c.x + r * np.sin(a), c.y + r * np.cos(a))
            if not any(o.contains(p) for o in self.obstacles) and any(
                g.geom.buffer(-30).contains(p) for g in self.grids
            ):
                return (p.x, p.y)

    def near_communities(self, ent, k=4):
        c = ent.geom.centroid
        ranked = sorted(self.coms.values(), key=lambda m: m.geom.centroid.distance(c))[:k]
        d = np.array([m.geom.centroid.distance(c) for m in ranked])
        w = 1 / np.maximum(d, 300) ** 2
        return ranked, w / w.sum()

    def new_person(self, com, repeat=False) -> Person:
        rng = self.rng
        while True:
            phone = f"{rng.choice(PHONE_PREFIX)}0000{int(rng.integers(0, 10000)):04d}"
            if phone not in self.phones:
                break
        self.phones.add(phone)
        given = "".join(rng.choice(GIVEN, size=int(rng.choice([1, 2], p=[0.35, 0.65]))))
        p = Person(
            f"P{len(self.persons) + 1:04d}",
            str(rng.choice(SURNAMES)) + given,
            str(rng.choice(["男", "女"])),
            phone,
            com,
            self.point_in(com) if com is not None else None,
            repeat,
        )
        self.persons.append(p)
        if com is not None:
            self.by_com.setdefault(com.name, []).append(p)
        return p

    def person_for(self, com, p_repeat=0.15, avoid=()) -> Person:
        if com is not None:
            reps = [p for p in self.by_com.get(com.name, []) if p.repeat and p.id not in avoid]
            if reps and self.rng.random() < p_repeat:
                return reps[int(self.rng.integers(len(reps)))]
            if self.rng.random() < 0.05 and self.by_com.get(com.name):
                pool = [p for p in self.by_com[com.name] if p.id not in avoid]
                if pool:
                    return pool[int(self.rng.integers(len(pool)))]
        return self.new_person(com)


def _pick(rng, pairs):
    names = [n for n, _ in pairs]
    w = np.array([w for _, w in pairs])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _in_episode(t: datetime) -> bool:
    return any(e.start - timedelta(hours=1) <= t <= e.end + timedelta(hours=1) for e in EPISODES)


def random_time(rng, cat: str, day: int | None = None) -> datetime:
    while True:
        d = int(rng.integers(0, 92)) if day is None else day
        w = HOURS[HOUR_PROFILE[cat]]
        h = int(rng.choice(24, p=w / w.sum()))
        t = PERIOD_START + timedelta(
            days=d,
            hours=h,
            minutes=int(rng.integers(0, 60)),
            seconds=int(rng.integers(0, 60)) if rng.random() < 0.3 else 0,
        )
        if not _in_episode(t) or day is not None:
            return t


def _cats(rng, main: str, p_second=0.15) -> list[str]:
    cats = [main]
    if main in ("solid_waste",) and rng.random() < 0.25:
        cats.append("smoke_dust")  # open burning
    elif main in PAIRS and rng.random() < p_second:
        cats.append(str(rng.choice(PAIRS[main])))
    return cats


def background(world: World, n: int) -> list[Complaint]:
    rng = world.rng
    cats = list(BG_WEIGHTS)
    w = np.array([BG_WEIGHTS[c] for c in cats])
    out = []
    for _ in range(n):
        main = cats[int(rng.choice(len(cats), p=w / w.sum()))]
        ent, com, site = None, None, ""
        if main in SOURCES:
            name = _pick(rng, SOURCES[main])
            ent = world.ents[name] if name else None
        if ent is not None:
            ranked, pw = world.near_communities(ent)
            com = ranked[int(rng.choice(len(ranked), p=pw))]
        else:
            allc = list(world.coms.values())
            pops = np.array([c.props["population"] for c in allc], float)
            if main == "noise_traffic":
                pops *= np.array([3.0 if c.props["noise_class"] == "4a" else 0.5 for c in allc])
            com = allc[int(rng.choice(len(allc), p=pops / pops.sum()))]
        if main == "noise_construction":
            site = (
                "翠湖苑三期工地"
                if ent
                else str(
                    rng.choice(
                        [
                            f"{com.name}旁边的工地",
                            f"{com.props['road']}改造工程工地",
                            "附近楼盘工地",
                        ]
                    )
                )
            )
        street = rng.random() < STREET_SHARE.get(main, 0.02)
        t = random_time(rng, main)
        if street:
            person = world.new_person(None)
            point = world.street_point(com)
            com_true = None
        else:
            person = world.person_for(com)
            point, com_true = person.home, com
        out.append(
            Complaint(
                t,
                person,
                _cats(rng, main),
                bool(rng.random() < 0.04),
                com_true,
                point,
                ent,
                site=site,
                extra={"near": com},
            )
        )
    return out


def chronic(world: World) -> list[Complaint]:
    rng = world.rng
    out = []
    for cname, cat, ename in REPEATERS:
        com = world.coms[cname]
        p = world.new_person(com, repeat=True)
        n = int(rng.integers(3, 8))
        days = np.sort(rng.choice(np.arange(0, 92, 6), size=n, replace=False)) + rng.integers(
            0, 5, size=n
        )
        for d in days:
            t = random_time(rng, cat, day=int(min(d, 91)))
            if _in_episode(t):
                t -= timedelta(days=2)
            ent = world.ents[ename] if ename else None
            site = "翠湖苑三期工地" if cat == "noise_construction" else ""
            out.append(
                Complaint(
                    t,
                    p,
                    _cats(rng, cat, 0.2),
                    bool(rng.random() < 0.05),
                    com,
                    p.home,
                    ent,
                    site=site,
                    extra={"near": com},
                )
            )
    return out


def episode_bursts(world: World) -> list[Complaint]:
    out = []
    for ep in EPISODES:
        rng = np.random.default_rng(ep.seed) if ep.seed is not None else world.rng
        ent = world.ents[ep.source]
        w = np.array([0.3, 0.25, 0.2, 0.15, 0.1][: len(ep.affected)])
        used = set()
        span = (ep.end - ep.start).total_seconds()
        for _ in range(ep.n_complaints):
            com = world.coms[ep.affected[int(rng.choice(len(w), p=w / w.sum()))]]
            p = world.person_for(com, p_repeat=0.25, avoid=used)
            used.add(p.id)
            frac = float(rng.beta(1.6, 2.2)) if ep.kind != "dust" else float(rng.uniform(0.05, 1))
            t = ep.start + timedelta(seconds=int(span * frac))
            t = t.replace(second=0) if rng.random() < 0.7 else t
            cats = list(ep.categories)
            for c, pr in ep.extra.items():
                if rng.random() < pr:
                    cats.append(c)
            site = "翠湖苑三期工地" if ep.kind == "noise" else ""
            out.append(
                Complaint(
                    t,
                    p,
                    cats,
                    bool(rng.random() < 0.1),
                    com,
                    p.home,
                    ent,
                    episode=ep.id,
                    site=site,
                    extra={"near": com},
                )
            )
    return out


def letter_time(rng, t: datetime) -> datetime:
    """Letters and visits are received on working days, 08:30-17:00."""
    d = (t + timedelta(hours=int(rng.integers(4, 72)))).date()
    while d.weekday() >= 5 or (d.month == 10 and d.day <= 7):
        d += timedelta(days=1)
    minutes = int(rng.integers(8 * 60 + 30, 17 * 60))
    return datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=TZ)


def ground_truth(events, grids) -> dict:
    out = {}
    for e in sorted(events, key=lambda e: e.key):
        g = next(g for g in grids if g.geom.covers(Point(e.point)))
        c = e.extra["coords"]
        out[e.key] = {
            "channel": e.channel,
            "id": e.id,
            "file": e.file,
            "received_at": iso(e.t),
            "event_at": iso(e.extra.get("event_t", e.t)),
            "community": e.community.name if e.community else None,
            "community_code": e.community.code if e.community else None,
            "grid": g.name,
            "district": g.props["district"],
            "true_lon": e.extra["true"][0],
            "true_lat": e.extra["true"][1],
            "coords_given": c is not None,
            "source_crs": (c[2] or "WGS84") if c else None,
            "categories": list(e.cats),
            "urgent": e.urgent,
            "episode": e.episode,
            "enterprise": e.enterprise.name if e.enterprise else None,
            "complainant": e.person.id,
            "duplicate_of": e.duplicate_of.key if e.duplicate_of else None,
            "repeat_of": e.repeat_of.key if e.repeat_of else None,
            "bad_row": e.bad_row,
        }
    return {
        "note": "SYNTHETIC ground truth for the sample complaints; see README.md",
        "categories": CATEGORIES,
        "complaints": out,
    }
