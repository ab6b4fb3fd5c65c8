"""City geometry: districts, enforcement grids, communities, enterprises, teams.

All shapes are drawn in local metres (see gen_common) and converted to WGS-84.
Grids tile the city exactly (shared edges are built once and reused), districts
are unions of whole grids, and every community / enterprise polygon lies inside
one grid with a 40 m margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Polygon, mapping

from gen_common import geom_to_wgs
from gen_places import CELLS, CN_NUM, COMMUNITIES, DISTRICTS, ENTERPRISES, LEADERS, XS, YS


@dataclass
class Area:
    name: str
    kind: str
    code: str
    geom: Polygon  # local metres
    props: dict = field(default_factory=dict)
    aliases: list = field(default_factory=list)


def _polyline(rng, a, b, wiggle: float, n: int = 3):
    """Points strictly between a and b, offset sideways by up to +-wiggle metres."""
    a, b = np.asarray(a), np.asarray(b)
    d = b - a
    normal = np.array([-d[1], d[0]]) / np.hypot(*d)
    pts = []
    for k in range(1, n + 1):
        t = k / (n + 1)
        pts.append(tuple(a + d * t + normal * rng.uniform(-wiggle, wiggle)))
    return pts


def build_grids(rng) -> list[Area]:
    """Nine grids tiling the city on a jittered 3x3 lattice with wiggly shared edges."""
    nodes = {}
    for i, x in enumerate(XS):
        for j, y in enumerate(YS):
            jx = rng.uniform(-250, 250) if 0 < i < 3 else 0.0
            jy = rng.uniform(-250, 250) if 0 < j < 3 else 0.0
            nodes[i, j] = (x + jx, y + jy)
    h_edges, v_edges = {}, {}
    for i in range(3):
        for j in range(4):
            inner = 0 < j < 3
            h_edges[i, j] = _polyline(rng, nodes[i, j], nodes[i + 1, j], 150 if inner else 0)
    for i in range(4):
        for j in range(3):
            inner = 0 < i < 3
            v_edges[i, j] = _polyline(rng, nodes[i, j], nodes[i, j + 1], 150 if inner else 0)
    grids = []
    for (i, j), (num, dist) in sorted(CELLS.items(), key=lambda kv: kv[1][0]):
        ring = [
            nodes[i, j],
            *h_edges[i, j],
            nodes[i + 1, j],
            *v_edges[i + 1, j],
            nodes[i + 1, j + 1],
            *reversed(h_edges[i, j + 1]),
            nodes[i, j + 1],
            *reversed(v_edges[i, j]),
        ]
        poly = Polygon(ring)
        assert poly.is_valid, num
        name = f"第{CN_NUM[num]}网格"
        code = f"{DISTRICTS[dist][0]}-WG{num:02d}"
        grids.append(
            Area(name, "grid", code, poly, {"team": f"执法{CN_NUM[num]}队", "district": dist})
        )
    return grids


def _block(rng, cx, cy, w, h, angle, notch):
    """A rotated rectangle (optionally L-shaped) with small vertex jitter."""
    hw, hh = w / 2, h / 2
    if notch:
        nx, ny = w * rng.uniform(0.25, 0.4), h * rng.uniform(0.25, 0.4)
        pts = [(-hw, -hh), (hw, -hh), (hw, hh - ny), (hw - nx, hh - ny), (hw - nx, hh), (-hw, hh)]
    else:
        pts = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
    pts = np.array(pts) + rng.uniform(-6, 6, size=(len(pts), 2))
    t = np.radians(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    pts = pts @ rot.T + (cx, cy)
    return Polygon(pts)


_SPIRAL = [(0, 0)] + [
    (r * np.cos(np.radians(a)), r * np.sin(np.radians(a)))
    for r in range(50, 901, 50)
    for a in range(0, 360, 45)
]


def _place(poly, placed, grid_polys, max_shift):
    """Shift poly until it clears other shapes by 40 m and sits inside one grid."""
    for dx, dy in _SPIRAL:
        if np.hypot(dx, dy) > max_shift:
            break
        cand = shapely.affinity.translate(poly, dx, dy)
        inner = [g for g in grid_polys if g.buffer(-40).contains(cand)]
        if not inner:
            continue
        fat = cand.buffer(40)
        if any(fat.intersects(p) for p in placed):
            continue
        return cand
    raise RuntimeError(f"cannot place polygon near {poly.centroid}")


def build_enterprises(rng, grids) -> list[Area]:
    gpolys = [g.geom for g in grids]
    out, placed = [], []
    for name, industry, aliases, (cx, cy), (w, h), ang in ENTERPRISES:
        poly = _block(rng, cx, cy, w, h, ang, notch=rng.random() < 0.4)
        poly = _place(poly, placed, gpolys, max_shift=150)
        placed.append(poly)
        out.append(Area(name, "enterprise", "", poly, {"industry": industry}, list(aliases)))
    return out


def build_communities(rng, grids, enterprises) -> list[Area]:
    gpolys = [g.geom for g in grids]
    placed = [e.geom for e in enterprises]
    out = []
    for idx, (name, (cx, cy), size, ncls, aliases, road) in enumerate(COMMUNITIES):
        if size is None:
            w, h = rng.uniform(160, 460), rng.uniform(150, 420)
        else:
            w, h = size
        ang = rng.uniform(-15, 15) if idx >= 5 else rng.uniform(-4, 4)
        poly = _block(rng, cx, cy, w, h, ang, notch=idx >= 5 and rng.random() < 0.3)
        poly = _place(poly, placed, gpolys, max_shift=60 if idx < 5 else 600)
        placed.append(poly)
        if not aliases and not name.endswith(("小区", "新村")):
            aliases = [name + "小区"]
        pop = int(round(rng.uniform(1500, 9000) * (poly.area / 9e4) ** 0.5, -1))
        out.append(
            Area(
                name,
                "community",
                "",
                poly,
                {
                    "noise_class": ncls,
                    "population": max(pop, 600),
                    "road": road,
                    "house_no": int(rng.integers(1, 400)),
                },
                list(aliases),
            )
        )
    return out


def _org_code_check(body8: str) -> str:
    vals = [int(c, 36) for c in body8]
    s = sum(v * w for v, w in zip(vals, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    c = 11 - s % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(rng, admin6: str) -> str:
    """A synthetic 18-character unified social credit code with valid check characters."""
    body = "MA" + "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 6))
    org = body + _org_code_check(body)
    s17 = "91" + admin6 + org
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(_USCC.index(c) * w for c, w in zip(s17, weights, strict=True))
    return s17 + _USCC[(31 - total % 31) % 31]


def assign_admin(areas, grids, rng=None):
    """Set grid / district / code on communities and enterprises from geometry."""
    per_grid_count = {}
    for a in areas:
        g = next(g for g in grids if g.geom.contains(a.geom))
        a.props["grid"] = g.name
        a.props["district"] = g.props["district"]
        dcode = DISTRICTS[a.props["district"]][0]
        if a.kind == "community":
            gi = int(g.code[-2:])
            per_grid_count[gi] = per_grid_count.get(gi, 0) + 1
            a.code = f"{dcode}{gi:03d}{per_grid_count[gi]:03d}"
        else:
            a.code = uscc(rng, dcode)


def build_districts(grids) -> list[Area]:
    out = []
    for name, (code, aliases) in DISTRICTS.items():
        parts = [g.geom for g in grids if g.props["district"] == name]
        out.append(Area(name, "district", code, shapely.union_all(parts), {}, list(aliases)))
    return out


def _feature(a: Area, props: dict, ndigits=7):
    g = geom_to_wgs(a.geom, ndigits)
    geo = mapping(g)
    geo = {"type": geo["type"], "coordinates": _lists(geo["coordinates"])}
    return {"type": "Feature", "properties": props, "geometry": geo}


def _lists(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [float(v) for v in obj]
        return [_lists(o) for o in obj]
    return obj


def features(districts, grids, communities, enterprises, sensors_by_ent):
    """Build the four FeatureCollections (lists of GeoJSON features)."""
    f_d = [
        _feature(d, {"name": d.name, "kind": "district", "code": d.code, "aliases": d.aliases})
        for d in districts
    ]
    f_g = [
        _feature(
            g,
            {
                "name": g.name,
                "kind": "grid",
                "code": g.code,
                "team": g.props["team"],
                "district": g.props["district"],
            },
        )
        for g in grids
    ]
    f_c = [
        _feature(
            c,
            {
                "name": c.name,
                "kind": "community",
                "code": c.code,
                "aliases": c.aliases,
                "district": c.props["district"],
                "population": c.props["population"],
                "noise_class": c.props["noise_class"],
                "grid": c.props["grid"],
                "address": f"{c.props['road']}{c.props['house_no']}号",
            },
        )
        for c in communities
    ]
    f_e = [
        _feature(
            e,
            {
                "name": e.name,
                "kind": "enterprise",
                "code": e.code,
                "aliases": e.aliases,
                "industry": e.props["industry"],
                "district": e.props["district"],
                "noise_class": "2" if e.props["industry"] == "建筑施工" else "3",
                "mn": sensors_by_ent.get(e.name),
                "grid": e.props["grid"],
            },
        )
        for e in enterprises
    ]
    return f_d, f_g, f_c, f_e


def teams(grids) -> list[dict]:
    """Enforcement teams, one per grid; phone numbers are obviously fake (199-0000-0xxx)."""
    out = []
    for g, leader in zip(grids, LEADERS, strict=True):
        n = int(g.code[-2:])
        out.append(
            {
                "name": g.props["team"],
                "grid": g.name,
                "district": g.props["district"],
                "leader": leader,
                "phone": f"1990000{n:02d}{n:02d}",
                "mqtt_topic_suffix": f"team{n}",
            }
        )
    return out
