import pytest

from monitoring.trace_rules import Candidate, angle_between, bearing_deg, circular_mean_deg, rank_candidates


@pytest.mark.parametrize("a,b,expected", [(10, 350, 20), (0, 180, 180), (90, 45, 45), (359, 1, 2)])
def test_angle_between(a, b, expected):
    assert angle_between(a, b) == pytest.approx(expected)


@pytest.mark.parametrize("directions,expected", [([350, 10], 0), ([80, 100], 90), ([], None), ([0, 180], None)])
def test_circular_mean(directions, expected):
    got = circular_mean_deg(directions)
    assert got is None if expected is None else angle_between(got, expected) < 1e-6


def test_bearing_east_and_north():
    assert bearing_deg(117.8, 30.9, 117.8, 31.0) == pytest.approx(0, abs=1e-6)
    assert bearing_deg(117.8, 30.9, 117.9, 30.9) == pytest.approx(90, abs=0.1)


def _candidates():
    return [
        Candidate(1, "upwind plant", 800, bearing_deg=40),      # wind from the north-east
        Candidate(2, "near but downwind", 200, bearing_deg=220),
        Candidate(3, "far side plant", 1500, bearing_deg=100),
    ]


def test_upwind_enterprise_outranks_a_nearer_downwind_one():
    ranked = rank_candidates(_candidates(), wind_from_deg=45, radius_m=3000)
    assert [c.name for c in ranked] == ["upwind plant", "far side plant", "near but downwind"]
    assert any("上风向" in e for e in ranked[0].evidence) and any("下风向" in e for e in ranked[-1].evidence)


def test_monitor_evidence_counts_and_is_capped():
    cands = _candidates()
    cands[1].exceedances, cands[1].peaks = 10, 10
    ranked = rank_candidates(cands, wind_from_deg=45, radius_m=3000)
    assert ranked[0].name == "near but downwind"  # 3 exceedances + 2 peaks (capped) outweigh the wind
    assert ranked[0].score == pytest.approx((1 - 200 / 3000) + 0 + 3 + 1.0, abs=1e-3)  # stored to 3 decimals


def test_no_wind_is_neutral_and_said():
    ranked = rank_candidates(_candidates(), wind_from_deg=None, radius_m=3000)
    assert ranked[0].name == "near but downwind"  # only proximity separates them
    assert all(any("无风向" in e for e in c.evidence) for c in ranked)
