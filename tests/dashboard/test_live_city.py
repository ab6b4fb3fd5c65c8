"""Live time ↔ sample time for the demo that keeps running; the demo clock's speed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dashboard.live_city import Laps
from envpetition import runtime
from envpetition.runtime import LOCAL_TZ

ORIGIN = datetime(2026, 8, 1, tzinfo=LOCAL_TZ)
LAPS = Laps(ORIGIN, timedelta(days=91))


def test_a_window_inside_a_lap_maps_back_by_whole_laps():
    start = ORIGIN + timedelta(days=95, hours=3)
    ((since, until, shift, lap),) = LAPS.windows(start, start + timedelta(minutes=20))
    assert (since, until - since, shift, lap) == (ORIGIN + timedelta(days=4, hours=3), timedelta(minutes=20),
                                                  timedelta(days=91), 1)
    assert since.weekday() == start.weekday() and since.hour == start.hour


def test_a_window_across_the_end_of_a_lap_is_split():
    end_of_lap = ORIGIN + timedelta(days=182)
    parts = LAPS.windows(end_of_lap - timedelta(hours=1), end_of_lap + timedelta(hours=2))
    assert [(p[3], p[1] - p[0]) for p in parts] == [(1, timedelta(hours=1)), (2, timedelta(hours=2))]
    assert parts[0][1] == ORIGIN + timedelta(days=91) and parts[1][0] == ORIGIN


def test_the_period_is_whole_weeks_within_the_sample():
    laps = Laps.for_span(ORIGIN + timedelta(hours=1), ORIGIN + timedelta(days=92, hours=23))
    assert laps.period == timedelta(weeks=13) and laps.origin == ORIGIN


def test_the_demo_clock_runs_at_its_speed():
    try:
        runtime.set_demo_clock(ORIGIN, speed=60)
        first = runtime.local_now()
        assert ORIGIN <= first < ORIGIN + timedelta(minutes=5)
        with pytest.raises(ValueError):
            runtime.set_demo_clock(ORIGIN, speed=0)
    finally:
        runtime._demo_clock = None
    assert abs(runtime.local_now() - datetime.now(LOCAL_TZ)) < timedelta(seconds=5)
