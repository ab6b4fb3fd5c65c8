"""The pure rules of source attribution: wind, back-trajectories, plume, odour, monitors, CPF, clustering."""

import numpy as np
import pytest

from monitoring import plume
from monitoring.attribution import Params, attribute
from monitoring.evidence.model import Candidate, Complaint, Monitor, Scene, cpf_by_sector, sector_of
from monitoring.evidence.monitors import anomaly
from monitoring.incidents import GROUPS, Point, cluster, decide, neighbours
from monitoring.odour_profiles import descriptors, profile_for
from monitoring.trajectory import back_trajectory, crossings
from monitoring.wind import station_from_readings, wind_at

H = 3600.0
T0 = 48 * H  # the complaint, 48 h into the readings


def hourly(directions, speeds, x=0.0, y=0.0):
    """A station with one hourly reading per value, the last one ending at T0."""
    n = len(directions)
    starts = T0 - H * np.arange(n, 0, -1)
    return station_from_readings(x, y, starts, directions, speeds, 3600)


def steady(direction, speed=2.0, hours=24):
    return hourly([direction] * hours, [speed] * hours)


@pytest.mark.parametrize("last_hours,earlier,expected_end", [
    # wind from the north all along: the air came from the north
    (0, 0, (0, 1)),
    # from the north for the last 3 h, from the east before: the path bends east
    (3, 90, (1, 1)),
    # from the north for the last 3 h, from the west before: the path bends west
    (3, 270, (-1, 1)),
])
def test_trajectory_bends_when_the_wind_turned(last_hours, earlier, expected_end):
    dirs = [earlier] * (24 - last_hours) + [0] * last_hours
    tr = back_trajectory([hourly(dirs, [2.0] * 24)], 0, 0, T0, horizon_h=6)
    end = (np.sign(round(tr.x[-1] / 1000)), np.sign(round(tr.y[-1] / 1000)))
    assert end == expected_end
    first_hour = int(H / 600)
    assert abs(tr.x[first_hour]) < 1 and tr.y[first_hour] == pytest.approx(7200)  # last hour: from the north


@pytest.mark.parametrize("speed,spread_more_than_steady", [(0.2, True), (0.4, True), (2.0, False)])
def test_calm_wind_widens_the_uncertainty(speed, spread_more_than_steady):
    base = back_trajectory([steady(0, 2.0)], 0, 0, T0, horizon_h=6)
    calm = back_trajectory([hourly([0] * 24, [2.0] * 21 + [speed] * 3)], 0, 0, T0, horizon_h=6)
    # at the same distance travelled the calm path is wider
    k = int(np.argmin(np.abs(np.hypot(calm.x, calm.y)[-1] - np.hypot(base.x, base.y))))
    assert bool(calm.sigma_m[-1] > base.sigma_m[k] + 100) is spread_more_than_steady
    assert bool(calm.calm.any()) is spread_more_than_steady


def test_variable_minute_directions_widen_the_path():
    starts = T0 - 60.0 * np.arange(600, 0, -1)
    rng = np.random.default_rng(1)
    steady_st = station_from_readings(0, 0, starts, np.zeros(600), np.full(600, 2.0), 60)
    variable = station_from_readings(0, 0, starts, rng.normal(0, 70, 600) % 360, np.full(600, 2.0), 60)
    a = back_trajectory([steady_st], 0, 0, T0, horizon_h=4)
    b = back_trajectory([variable], 0, 0, T0, horizon_h=4)
    assert b.variable.any() and not a.variable.any()
    assert b.sigma_m[-1] > 3 * a.sigma_m[-1]


@pytest.mark.parametrize("after", [0.0, 90.0, 180.0])
def test_no_look_ahead(after):
    """Readings after the complaint (or whose averaging interval ends after it) change nothing."""
    dirs = [0.0] * 24
    base = back_trajectory([hourly(dirs, [2.0] * 24)], 0, 0, T0 - 1800, horizon_h=6)
    later = hourly(dirs + [after] * 3, [2.0] * 27)
    later = station_from_readings(0, 0, later.start + 3 * H, later.from_deg, later.speed, 3600)
    again = back_trajectory([later], 0, 0, T0 - 1800, horizon_h=6)
    assert np.allclose(base.x, again.x) and np.allclose(base.y, again.y)
    # the reading of [T0 - 1 h, T0) is not known at T0 - 30 min
    w = wind_at([later], 0, 0, np.array([T0 - 1800]), cutoff=T0 - 1800)
    assert w.v[0] == pytest.approx(-2.0)


@pytest.mark.parametrize("speed,hour,cls", [(1.0, 13, "A"), (2.5, 13, "A"), (4.0, 9, "B"), (5.5, 18, "D"),
                                            (7.0, 12, "C"), (1.0, 23, "F"), (4.0, 2, "E"), (6.0, 4, "D")])
def test_pasquill_gifford_class(speed, hour, cls):
    assert plume.stability_class(speed, hour) == cls


@pytest.mark.parametrize("x,y,cls,low,high", [
    (5000, 0, "D", 0.99, 1.0),       # on the axis
    (5000, 400, "D", 0.5, 0.9),      # inside one sigma-ish
    (5000, 2000, "D", 0.0, 0.01),    # well outside
    (5000, 1000, "D", 0.0, 0.05),    # outside a neutral plume ...
    (5000, 1000, "A", 0.5, 1.0),     # ... inside an unstable (wide) one
    (-500, 0, "D", 0.0, 0.0),        # upwind of the source
])
def test_plume_coverage(x, y, cls, low, high):
    assert low <= float(plume.coverage([x], [y], cls)[0]) <= high


def _two_plants_scene(words, near_industry="焦化", far_industry="涂装", monitors=()):
    """Wind from the north; complaints around the origin; plant A 5 km north, plant B 14 km north."""
    rng = np.random.default_rng(3)
    complaints = [Complaint(i, float(rng.normal(0, 400)), float(rng.normal(0, 400)), T0 + 60 * i, 22.0,
                            frozenset(words)) for i in range(8)]
    cands = [Candidate(1, "near", 0.0, 5000.0, profile_for(near_industry)),
             Candidate(2, "far", 150.0, 14000.0, profile_for(far_industry))]
    return Scene(complaints, cands, [steady(0.0, 1.5, 40)], list(monitors))


@pytest.mark.parametrize("words,expected", [({"sulfide"}, "near"), ({"tar"}, "near"), ({"solvent"}, "far")])
def test_two_plants_on_one_bearing_told_apart_by_odour(words, expected):
    ranked = attribute(_two_plants_scene(words)).ranked
    assert ranked[0].name == expected
    terms = {t.key: t for t in ranked[0].terms}
    assert terms["odour"].llr > 0 and "相符" in terms["odour"].zh


def test_no_distance_bonus_upwind_is_the_same_for_both_plants():
    ranked = attribute(_two_plants_scene(set(), "焦化", "焦化")).ranked
    up = [next(t.llr for t in r.terms if t.key == "upwind") for r in ranked]
    assert abs(up[0] - up[1]) < 0.5


def test_a_monitor_in_the_path_tells_apart_two_plants_of_the_same_smell():
    """A monitor between the two plants (9 km north) sees H2S rise: the far plant is the source."""
    t = T0 - H * 30 + np.arange(0, 31 * H, 600.0)
    v = 0.002 + 0.0002 * np.sin(t / 5000.0)
    v[(t > T0 - 2 * H) & (t < T0)] = 0.02
    mon = Monitor("S09", 0.0, 9000.0, "a21028", t, v)
    ranked = attribute(_two_plants_scene({"sulfide"}, "焦化", "焦化", [mon])).ranked
    assert ranked[0].name == "far"
    monitors = next(t for t in ranked[0].terms if t.key == "monitors")
    assert monitors.llr > 0 and "S09" in monitors.detail["supporting"]


@pytest.mark.parametrize("jump,found", [(5.0, True), (1.1, False)])
def test_anomaly_against_own_background(jump, found):
    t = np.arange(0, 30 * H, 600.0)
    v = 1.0 + 0.02 * np.sin(t / 2000.0)
    v[(t >= 27 * H) & (t < 28 * H)] = jump
    assert anomaly(t, v, 26 * H, 29 * H, background_s=24 * H, z_min=4, ratio_min=1.5).found is found


@pytest.mark.parametrize("bearing,sector", [(0, 0), (11, 0), (12, 1), (90, 4), (350, 0), (200, 9)])
def test_cpf_sectors(bearing, sector):
    assert int(sector_of(bearing)) == sector


def test_cpf_points_at_the_sector_the_high_readings_came_with():
    rng = np.random.default_rng(0)
    wd = rng.uniform(0, 360, 2000)
    v = rng.lognormal(0, 0.3, 2000) + np.where(np.abs(((wd - 90) + 180) % 360 - 180) < 15, 5.0, 0.0)
    cpf, n = cpf_by_sector(wd, v)
    assert int(np.nanargmax(cpf)) == 4 and cpf[4] > 0.9 and np.nanmedian(cpf) < 0.3


@pytest.mark.parametrize("text,expected", [("一股臭鸡蛋味", {"sulfide"}), ("刺鼻的氨味还有油漆味", {"ammonia", "solvent"}),
                                           ("有异味", set()), ("焦油煤气味很重", {"tar"})])
def test_descriptors(text, expected):
    assert descriptors(text) == expected


def test_crossings_beyond_reach_cost():
    tr = back_trajectory([steady(0.0, 0.3)], 0, 0, T0, horizon_h=3)  # calm: the air barely moved
    c = crossings(tr, np.array([0.0]), np.array([20000.0]))
    assert not c.reached[0] and c.shortfall_m[0] > 15000


# --- clustering -------------------------------------------------------------------------------

ODOUR = {"odour": GROUPS[0]}


@pytest.mark.parametrize("points,labels", [
    # a chain 1.5 km / 30 min apart grows one incident
    ([(0, 0, 0), (1500, 0, 1800), (3000, 0, 3600)], [0, 0, 0]),
    # too far in space
    ([(0, 0, 0), (2500, 0, 0)], [0, 1]),
    # too far in time
    ([(0, 0, 0), (0, 0, 3 * H)], [0, 1]),
    # the third complaint bridges two incidents: they merge
    ([(0, 0, 0), (3000, 0, 0), (1500, 0, 600)], [0, 0, 0]),
])
def test_st_dbscan(points, labels):
    pts = [Point(i, x, y, t, "odour") for i, (x, y, t) in enumerate(points)]
    assert cluster(pts, ODOUR) == labels


def test_incremental_equals_batch_in_any_order():
    rng = np.random.default_rng(5)
    pts = [Point(i, float(rng.uniform(0, 8000)), float(rng.uniform(0, 8000)), float(rng.uniform(0, 8 * H)), "odour")
           for i in range(60)]
    batch = cluster(pts, ODOUR)
    for order in (rng.permutation(60) for _ in range(3)):
        incident: dict[int, int] = {}
        live: dict[int, set[int]] = {}
        fresh = iter(range(1000, 2000))
        for i in order:
            seen = [pts[j] for j in incident]
            near = [incident[seen[k].id] for k in neighbours(pts[i], seen, ODOUR["odour"])]
            step = decide(near)
            target = step.incident if step.incident is not None else next(fresh)
            live.setdefault(target, set())
            for gone in step.absorbed:
                for member in live.pop(gone):
                    incident[member] = target
                    live[target].add(member)
            incident[pts[i].id] = target
            live[target].add(pts[i].id)
        same_batch = {(a, b) for a in range(60) for b in range(60) if batch[a] == batch[b]}
        same_inc = {(a, b) for a in range(60) for b in range(60) if incident[a] == incident[b]}
        assert same_batch == same_inc


def test_params_are_frozen_defaults():
    assert Params().horizon_h > 0 and "upwind" not in Params().skip


def _reference_crossing(tr, cx, cy):
    """Segment by segment, the plain way: the best crossing of the path at the candidate's distance."""
    px, py = tr.x - tr.x[0], tr.y - tr.y[0]
    rc = float(np.hypot(cx - tr.x[0], cy - tr.y[0]))
    ac = np.arctan2(cx - tr.x[0], cy - tr.y[0])
    best = None
    for k in range(len(px) - 1):
        r0, r1 = np.hypot(px[k], py[k]), np.hypot(px[k + 1], py[k + 1])
        if r0 == r1 or (r0 - rc) * (r1 - rc) > 0:
            continue
        f = min(max((rc - r0) / (r1 - r0), 0.0), 1.0)
        x, y = px[k] + f * (px[k + 1] - px[k]), py[k] + f * (py[k + 1] - py[k])
        s = np.arctan2(tr.sigma_m[k] + f * (tr.sigma_m[k + 1] - tr.sigma_m[k]), max(rc, 1.0))
        off = (ac - np.arctan2(x, y) + np.pi) % (2 * np.pi) - np.pi
        z = (off / s) ** 2 + 2 * np.log(s)
        if best is None or z < best[0]:
            best = (z, np.degrees(off))
    return None if best is None else best[1]


def test_batched_crossings_match_the_plain_loop():
    from monitoring.trajectory import crossings_many
    rng = np.random.default_rng(11)
    dirs = (np.cumsum(rng.normal(0, 40, 30)) % 360).tolist()
    turning = hourly(dirs, rng.uniform(0.2, 3.0, 30).tolist())
    steady_ne = hourly((45 + rng.normal(0, 5, 30)).tolist(), [2.0] * 30)  # paths that only move outward
    trs = [back_trajectory([turning if i % 2 else steady_ne], float(rng.uniform(-3e3, 3e3)),
                           float(rng.uniform(-3e3, 3e3)), T0 - float(rng.uniform(0, 5 * H)), horizon_h=8)
           for i in range(40)]
    cx, cy = rng.uniform(-3e4, 3e4, 25), rng.uniform(-3e4, 3e4, 25)
    many = crossings_many(trs, cx, cy)
    for i, tr in enumerate(trs):
        for j in range(25):
            ref = _reference_crossing(tr, cx[j], cy[j])
            assert bool(many.reached[i, j]) == (ref is not None)
            if ref is not None:
                assert many.offset_deg[i, j] == pytest.approx(ref, abs=1e-6)
