"""Pure rules of the hotspot statistics, checked against independent computations and tables."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from analytics.bulletin.schedule import due_periods
from analytics.periods import LOCAL_TZ, parse_period
from analytics.spatial_stats import distance_band_weights, eb_rates, fdr_classes, gi_star
from analytics.trend import emerging_classes, mann_kendall


def gi_star_by_hand(values: np.ndarray, x: np.ndarray, y: np.ndarray, band: float) -> np.ndarray:
    """Getis–Ord Gi* z-scores from the textbook formula (binary weights, self included)."""
    n = len(values)
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    w = (d <= band).astype(float)
    mean, s = values.mean(), np.sqrt((values ** 2).mean() - values.mean() ** 2)
    wsum, w2 = w.sum(axis=1), (w ** 2).sum(axis=1)
    num = w @ values - mean * wsum
    den = s * np.sqrt((n * w2 - wsum ** 2) / (n - 1))
    return num / den


def test_gi_star_matches_the_textbook_formula():
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 5000, 60), rng.uniform(0, 5000, 60)
    values = rng.poisson(3, 60).astype(float)
    values[:8] += 20  # a cluster somewhere
    band = 1500.0
    z, p = gi_star(values, distance_band_weights(x, y, band))
    assert np.allclose(z, gi_star_by_hand(values, x, y, band), atol=1e-6)
    assert np.all((p >= 0) & (p <= 1))


def test_a_tight_cluster_comes_out_hot_and_a_lone_burst_does_not():
    x = np.repeat(np.arange(6) * 1000.0, 6)
    y = np.tile(np.arange(6) * 1000.0, 6)
    values = np.ones(36)
    cluster = [0, 1, 2, 6, 7, 8, 12, 13, 14]  # a 3 x 3 block in one corner (index = column * 6 + row)
    values[cluster] = 30
    values[35] = 60  # one bigger burst in the far corner, alone
    z, p = gi_star(values, distance_band_weights(x, y, 1500))  # queen neighbours
    classes = fdr_classes(z, p)
    assert classes[7] >= 2  # the block's centre: itself and all eight neighbours high
    assert classes[35] == 0 and z[7] > z[35]


def test_small_community_does_not_top_the_smoothed_rates():
    counts = np.array([2.0, 60, 40, 12, 30, 25])
    population = np.array([80.0, 9000, 8000, 7000, 3000, 6000])  # 2 complaints in a 40-household place
    raw, eb = eb_rates(counts, population)
    assert raw.argmax() == 0
    assert eb.argmax() != 0
    assert eb[0] < raw[0]


def test_unknown_population_gives_no_rate():
    raw, eb = eb_rates(np.array([1.0, 2.0]), np.array([np.nan, 1000.0]))
    assert np.isnan(raw[0]) and np.isnan(eb[0]) and raw[1] == 2.0


@pytest.mark.parametrize("z,p,expected", [
    ([4.0, -4.0, 0.2], [0.00006, 0.00006, 0.84], [3, -3, 0]),
    ([1.8, 0.1, 0.1, 0.1], [0.07, 0.9, 0.9, 0.9], [0, 0, 0, 0]),      # 0.07 fails BH at 90 % with m = 4
    ([1.8], [0.07], [1]),                                             # alone it passes at 90 %
    ([2.1, 2.1, 2.1], [0.036, 0.036, 0.036], [2, 2, 2]),
])
def test_fdr_classes(z, p, expected):
    assert fdr_classes(np.array(z), np.array(p)).tolist() == expected


def test_mann_kendall_agrees_with_kendalls_tau():
    from scipy.stats import kendalltau

    rng = np.random.default_rng(3)
    series = rng.normal(size=(20, 12)) + np.linspace(0, 2, 12)
    z, p = mann_kendall(series)
    for row, zi in zip(series, z, strict=True):
        tau = kendalltau(np.arange(12), row).statistic
        assert np.sign(zi) == np.sign(tau)
    rising = np.arange(12, dtype=float)
    z1, p1 = mann_kendall(rising[None, :])
    assert z1[0] > 4 and p1[0] < 1e-4


HOT, NOT, COLD = 2, 0, -2


@pytest.mark.parametrize("classes,z,expected", [
    ([NOT] * 11 + [HOT], None, "new_hot"),
    ([NOT] * 9 + [HOT] * 3, None, "consecutive_hot"),
    ([HOT] * 12, list(range(1, 13)), "intensifying_hot"),
    ([HOT] * 12, [3.0] * 12, "persistent_hot"),
    ([HOT] * 12, list(range(12, 0, -1)), "diminishing_hot"),
    ([HOT, NOT] * 6, None, "sporadic_hot"),
    ([HOT, NOT, HOT, NOT, HOT, HOT, NOT, HOT, NOT, NOT, NOT, HOT], None, "sporadic_hot"),
    ([COLD, NOT, HOT, NOT, HOT, NOT, HOT, NOT, NOT, HOT, NOT, HOT], None, "oscillating_hot"),
    ([HOT] * 11 + [NOT], None, "historical_hot"),
    ([NOT] * 11 + [COLD], None, "new_cold"),
    ([NOT] * 12, None, "no_pattern"),
])
def test_emerging_classes(classes, z, expected):
    zs = np.array([z if z is not None else [float(c) for c in classes]], dtype=float)
    assert emerging_classes(np.array([classes]), zs) == [expected]


@pytest.mark.parametrize("text,start,previous,year_before", [
    ("2026-09", "2026-09-01", "2026-08", "2025-09"),
    ("2026-01", "2026-01-01", "2025-12", "2025-01"),
    ("2026-Q1", "2026-01-01", "2025-Q4", "2025-Q1"),
    ("2026-W37", "2026-09-07", "2026-W36", "2025-W37"),
])
def test_periods(text, start, previous, year_before):
    period = parse_period(text)
    assert period.start.isoformat()[:10] == start and period.start.utcoffset().total_seconds() == 8 * 3600
    assert period.previous.key == previous and period.year_before.key == year_before


@pytest.mark.parametrize("bad", ["2026-13", "2026-W60", "2026-Q5", "Sept 2026", ""])
def test_bad_periods_are_refused_with_the_accepted_forms(bad):
    with pytest.raises(ValueError, match="2026-09"):
        parse_period(bad)


@pytest.mark.parametrize("now,expected", [
    ("2026-09-07 07:59", ["2026-W35", "2026-08", "2026-Q2"]),   # Monday before 08:00: last week not due yet
    ("2026-09-07 08:00", ["2026-W36", "2026-08", "2026-Q2"]),
    ("2026-10-01 08:30", ["2026-W39", "2026-09", "2026-Q3"]),
])
def test_schedule_rule(now, expected):
    at = datetime.fromisoformat(now).replace(tzinfo=LOCAL_TZ)
    assert [p.key for p in due_periods(at)] == expected
