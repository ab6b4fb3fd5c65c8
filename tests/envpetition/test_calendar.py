from datetime import date

import pytest

from envpetition.calendar import CalendarFallbackWarning, load_calendar, seed_calendar, set_day


@pytest.mark.parametrize("day,is_workday", [
    (date(2026, 10, 1), False),   # National Day
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),   # Saturday, adjusted working day
    (date(2026, 9, 20), True),    # Sunday, adjusted working day
    (date(2026, 10, 11), False),  # ordinary Sunday
])
def test_seeded_2026_holidays_and_adjusted_weekends(conn, day, is_workday):
    seed_calendar(conn, [2026])
    assert load_calendar(conn, date(2026, 1, 1), date(2026, 12, 31)).is_workday(day) is is_workday


def test_unknown_year_falls_back_to_weekdays_with_a_warning(conn):
    assert seed_calendar(conn, [2031]) == {2031: "unknown"}
    cal = load_calendar(conn, date(2031, 1, 1), date(2031, 12, 31))
    with pytest.warns(CalendarFallbackWarning):
        assert cal.is_workday(date(2031, 3, 3)) is True  # a Monday


def test_admin_edit_survives_reseeding(conn):
    seed_calendar(conn, [2026])
    set_day(conn, date(2026, 10, 8), False, "typhoon closure")
    seed_calendar(conn, [2026])
    assert load_calendar(conn, date(2026, 10, 8), date(2026, 10, 8)).is_workday(date(2026, 10, 8)) is False


def test_a_calendar_window_of_an_unseeded_year_reads_the_official_days_and_writes_nothing(conn):
    from envpetition.calendar import calendar_window

    cal = calendar_window(conn, date(2026, 9, 1), date(2026, 10, 31))
    assert cal.is_workday(date(2026, 10, 1)) is False and cal.is_workday(date(2026, 10, 10)) is True
    assert conn.execute("select count(*) from work_calendar").fetchone()[0] == 0
