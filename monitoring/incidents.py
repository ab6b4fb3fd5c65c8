"""Incidents: air complaints grouped by a space-time density clustering (ST-DBSCAN), incrementally.

Two complaints are neighbours when they are in the same category group, at most ``eps_m`` metres
apart (metric CRS) and at most ``eps_s`` seconds apart. With ``min_pts`` 1 (the default: a single
complaint is an incident of one) an incident is a connected component of the neighbour graph,
which is what ST-DBSCAN gives when every point is a core point; the incremental rule below then
gives the same incidents whatever order the complaints arrive in: a new complaint with no
neighbour opens an incident, with neighbours in one incident joins it, and with neighbours in
several incidents merges them into the oldest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Group:
    """A category group and its clustering scale."""

    name: str
    categories: frozenset[str]
    eps_m: float
    eps_s: float


# Odour travels farther and lingers longer than a dust cloud or a smoke plume is seen.
GROUPS: tuple[Group, ...] = (
    Group("odour", frozenset({"odour", "industrial_exhaust"}), 2000.0, 2 * 3600.0),
    Group("smoke", frozenset({"smoke_dust"}), 1000.0, 1 * 3600.0),
)


def group_of(categories: Iterable[str], groups: Sequence[Group] = GROUPS) -> Group | None:
    """The first group any of the categories belongs to; None for complaints not about air.

    >>> group_of(["noise_social"]) is None, group_of(["smoke_dust", "odour"]).name
    (True, 'odour')
    """
    cats = set(categories)
    return next((g for g in groups if cats & g.categories), None)


@dataclass(frozen=True)
class Point:
    id: int
    x: float
    y: float
    t: float  # epoch seconds
    group: str


def neighbours(p: Point, others: Sequence[Point], group: Group) -> list[int]:
    """Indexes of ``others`` within the group's space and time distance of ``p``."""
    if not others:
        return []
    xs = np.array([o.x for o in others])
    ys = np.array([o.y for o in others])
    ts = np.array([o.t for o in others])
    same = np.array([o.group == p.group for o in others])
    near = same & (np.hypot(xs - p.x, ys - p.y) <= group.eps_m) & (np.abs(ts - p.t) <= group.eps_s)
    return [int(i) for i in np.flatnonzero(near)]


@dataclass(frozen=True)
class Decision:
    """What adding one complaint does: open, join, or merge (``absorbed`` folded into ``incident``)."""

    action: str  # 'open' | 'join' | 'merge'
    incident: int | None  # None when opening
    absorbed: tuple[int, ...] = ()


def decide(neighbour_incidents: Iterable[int]) -> Decision:
    """The incremental ST-DBSCAN step for one complaint given its neighbours' incidents.

    >>> decide([]), decide([4, 4]), decide([7, 3, 7])
    (Decision(action='open', incident=None, absorbed=()), Decision(action='join', incident=4, absorbed=()), Decision(action='merge', incident=3, absorbed=(7,)))
    """
    found = sorted(set(neighbour_incidents))
    if not found:
        return Decision("open", None)
    if len(found) == 1:
        return Decision("join", found[0])
    return Decision("merge", found[0], tuple(found[1:]))


def cluster(points: Sequence[Point], groups: Mapping[str, Group]) -> list[int]:
    """Batch ST-DBSCAN (min_pts 1): a label per point, labels numbered by first appearance.

    Examples
    --------
    >>> g = {"odour": GROUPS[0]}
    >>> pts = [Point(1, 0, 0, 0, "odour"), Point(2, 1500, 0, 600, "odour"), Point(3, 3000, 0, 1200, "odour"),
    ...        Point(4, 0, 0, 4 * 3600, "odour"), Point(5, 20000, 0, 0, "odour")]
    >>> cluster(pts, g)
    [0, 0, 0, 1, 2]
    """
    n = len(points)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, p in enumerate(points):
        for j in neighbours(p, points[:i], groups[p.group]):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    labels: dict[int, int] = {}
    return [labels.setdefault(find(i), len(labels)) for i in range(n)]
