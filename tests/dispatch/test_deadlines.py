"""Every clock across real 2026 holidays and adjusted working weekends (calendar from the database)."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.deadlines import (
    add_working_days,
    compute_clocks,
    extended_close_due,
    next_working_hours,
    working_start,
)
from dispatch.policy import calendar_around, load_policy
from envpetition.calendar import CalendarFallbackWarning, WorkCalendar
from tests.dispatch.conftest import at


@pytest.fixture
def rules(conn):
    from envpetition.calendar import seed_calendar

    seed_calendar(conn, [2026, 2027])
    return load_policy(conn), calendar_around(conn, at("2026-09-01 00:00"))


# (received, priority, kind, expected due)
CASES = [
    # emergency / urgent: wall clock, holidays included
    ("2026-10-01 23:00", "emergency", "arrive", "2026-10-02 01:00"),
    ("2026-10-03 20:00", "urgent", "arrive", "2026-10-04 02:00"),
    ("2026-09-25 10:00", "urgent", "arrive", "2026-09-25 16:00"),          # Mid-Autumn holiday
    # normal: 1 working day
    ("2026-09-18 15:00", "normal", "arrive", "2026-09-20 15:00"),          # Fri → adjusted working Sunday
    ("2026-09-19 10:00", "normal", "arrive", "2026-09-21 08:30"),          # Sat → starts Sun 20 08:30
    ("2026-09-24 10:00", "normal", "arrive", "2026-09-28 10:00"),          # Thu → Mid-Autumn Fri, weekend
    ("2026-09-30 16:00", "normal", "arrive", "2026-10-08 16:00"),          # before National Day
    ("2026-10-03 10:00", "normal", "arrive", "2026-10-09 08:30"),          # holiday → starts Oct 8 08:30
    ("2026-10-09 09:00", "normal", "arrive", "2026-10-10 09:00"),          # Fri → adjusted working Saturday
    ("2026-10-10 11:00", "normal", "arrive", "2026-10-12 11:00"),          # working Saturday → Monday
    ("2026-10-11 11:00", "normal", "arrive", "2026-10-13 08:30"),          # ordinary Sunday
    ("2026-02-13 17:00", "normal", "arrive", "2026-02-14 17:00"),          # Fri → working Sat before Spring Festival
    ("2026-02-14 17:00", "normal", "arrive", "2026-02-24 17:00"),          # Spring Festival 15-23
    ("2026-01-02 10:00", "normal", "arrive", "2026-01-05 08:30"),          # New Year holiday → working Sun Jan 4
    ("2026-04-03 10:00", "normal", "arrive", "2026-04-07 10:00"),          # Qingming Mon Apr 6
    ("2026-05-08 10:00", "normal", "arrive", "2026-05-09 10:00"),          # Fri → working Sat after Labour Day
    ("2026-06-18 10:00", "normal", "arrive", "2026-06-22 10:00"),          # Dragon Boat Fri Jun 19
    # dispatch clocks
    ("2026-09-30 16:00", "emergency", "dispatch", "2026-09-30 17:00"),
    ("2026-09-30 16:00", "normal", "dispatch", "2026-10-08 16:00"),
    # accept: 15 calendar days for normal, hours otherwise
    ("2026-09-30 16:00", "normal", "accept", "2026-10-15 16:00"),
    ("2026-09-30 16:00", "urgent", "accept", "2026-09-30 17:00"),
    # close: 60 calendar days, holidays included
    ("2026-09-30 16:00", "normal", "close", "2026-11-29 16:00"),
    ("2026-12-15 09:00", "emergency", "close", "2027-02-13 09:00"),
]


@pytest.mark.parametrize("received,priority,kind,expected", CASES)
def test_clock_due(rules, conn, received, priority, kind, expected):
    policy, _ = rules
    calendar = calendar_around(conn, at(received))
    clocks = compute_clocks(policy, calendar, received=at(received), priority=priority)
    assert clocks[kind][1] == at(expected)


# (investigated, kind, expected due): follow-up 3 working days, reply 1 working day after investigation
INVESTIGATED = [
    ("2026-09-30 16:00", "follow_up", "2026-10-10 16:00"),   # Oct 8, 9, 10 (working Saturday)
    ("2026-09-30 16:00", "reply", "2026-10-08 16:00"),
    ("2026-09-17 10:00", "follow_up", "2026-09-21 10:00"),   # Sep 18, 20 (working Sunday), 21
    ("2026-09-23 10:00", "follow_up", "2026-09-29 10:00"),   # Sep 24, (25 Mid-Autumn) 28, 29
    ("2026-10-04 14:00", "follow_up", "2026-10-12 08:30"),   # holiday: starts Oct 8 08:30 → 9, 10, 12
    ("2026-05-01 09:00", "follow_up", "2026-05-09 08:30"),   # Labour Day 1-5 → starts May 6; 7, 8, 9 (working Sat)
]


@pytest.mark.parametrize("investigated,kind,expected", INVESTIGATED)
def test_clocks_after_investigation(rules, conn, investigated, kind, expected):
    policy, _ = rules
    calendar = calendar_around(conn, at(investigated))
    clocks = compute_clocks(policy, calendar, received=at(investigated), priority="normal",
                            investigated=at(investigated))
    assert clocks[kind][1] == at(expected)


def test_follow_up_only_with_investigation(rules):
    policy, calendar = rules
    clocks = compute_clocks(policy, calendar, received=at("2026-09-30 16:00"), priority="normal")
    assert set(clocks) == {"accept", "dispatch", "arrive", "close"}


def test_extension_adds_thirty_calendar_days(rules):
    policy, _ = rules
    assert extended_close_due(at("2026-11-29 16:00"), policy) == at("2026-12-29 16:00")


@pytest.mark.parametrize("moment,expected", [
    ("2026-10-09 07:00", "2026-10-09 08:30"),
    ("2026-10-09 12:00", "2026-10-09 12:00"),
    ("2026-10-09 18:00", "2026-10-10 08:30"),   # next day is a working Saturday
    ("2026-09-30 20:00", "2026-10-08 08:30"),
])
def test_notices_wait_for_working_hours(rules, moment, expected):
    policy, calendar = rules
    assert next_working_hours(at(moment), calendar, policy) == at(expected)


def test_unknown_year_falls_back_to_weekdays_with_a_warning():
    empty = WorkCalendar({})
    with pytest.warns(CalendarFallbackWarning):
        due = add_working_days(at("2031-03-07 10:00"), 1, empty, at("2031-01-01 08:30").time())  # Friday
    assert due == at("2031-03-10 10:00")
    with pytest.warns(CalendarFallbackWarning):
        assert working_start(at("2031-03-08 10:00"), empty, at("2031-01-01 08:30").time()).date() == date(2031, 3, 10)


def test_year_chinesecalendar_does_not_know_falls_back_with_a_warning(rules, conn):
    policy, _ = rules
    calendar = calendar_around(conn, at("2026-12-31 18:00"))
    with pytest.warns(CalendarFallbackWarning):
        clocks = compute_clocks(policy, calendar, received=at("2026-12-31 18:00"), priority="normal")
    assert clocks["arrive"][1] == at("2027-01-01 18:00")  # Monday–Friday fallback: Friday counts
