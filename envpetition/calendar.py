"""The working calendar: which dates are working days, kept in the database.

Seeded from ``chinesecalendar`` (official State Council arrangements, including adjusted working
weekends, 调休). An administrator can edit any day. For a year nobody has data for, the calendar
falls back to Monday–Friday and says so with a warning instead of failing.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import psycopg

log = logging.getLogger(__name__)

UPSERT_DAY = """
insert into work_calendar (day, is_workday, note, source) values (%s, %s, %s, %s)
on conflict (day) do update set is_workday = excluded.is_workday, note = excluded.note,
  source = excluded.source, updated_at = now()
"""
UPSERT_DAY_KEEP_ADMIN = UPSERT_DAY + " where work_calendar.source <> 'admin'"
SELECT_RANGE = "select day, is_workday from work_calendar where day between %s and %s"
KNOWN_YEARS = """
select distinct extract(year from day)::int from work_calendar where extract(year from day)::int = any(%s)
"""


class CalendarFallbackWarning(UserWarning):
    """A date outside the known calendar was treated as Monday–Friday."""


@lru_cache(maxsize=16)
def official_days(year: int) -> list[tuple[date, bool, str | None]]:
    """Return (day, is_workday, holiday name) for ``year`` from chinesecalendar; raise if unknown."""
    import chinese_calendar

    out = []
    day = date(year, 1, 1)
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        out.append((day, not is_holiday, name))
        day += timedelta(days=1)
    return out


def seed_calendar(conn: psycopg.Connection[Any], years: Iterable[int]) -> dict[int, str]:
    """Seed the given years; admin edits are kept. Return year → 'chinesecalendar' or 'unknown'."""
    result = {}
    for year in years:
        try:
            days = official_days(year)
        except NotImplementedError:
            result[year] = "unknown"
            log.warning("chinesecalendar has no data for %s; Monday–Friday will be assumed", year)
            continue
        with conn.cursor() as cur:
            cur.executemany(UPSERT_DAY_KEEP_ADMIN, [(d, w, n, "chinesecalendar") for d, w, n in days])
        result[year] = "chinesecalendar"
    return result


def set_day(conn: psycopg.Connection[Any], day: date, is_workday: bool, note: str | None = None) -> None:
    """Admin edit of one day."""
    conn.execute(UPSERT_DAY, (day, is_workday, note, "admin"))


@dataclass
class WorkCalendar:
    """Working days loaded from the database; pure lookups after that."""

    days: dict[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        known = self.days.get(day)
        if known is not None:
            return known
        warnings.warn(
            f"working calendar has no entry for {day.isoformat()}; assuming Monday–Friday",
            CalendarFallbackWarning, stacklevel=2,
        )
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


def load_calendar(conn: psycopg.Connection[Any], start: date, end: date) -> WorkCalendar:
    rows = conn.execute(SELECT_RANGE, (start, end)).fetchall()
    return WorkCalendar({day: is_workday for day, is_workday in rows})


def calendar_window(conn: psycopg.Connection[Any], start: date, end: date) -> WorkCalendar:
    """The working days from ``start`` to ``end`` (inclusive), read only, never written.

    A year with no stored day at all takes chinesecalendar's official days in memory (seeding the
    table is ``seed_calendar``'s job); a year the package does not know stays empty and falls back
    to Monday–Friday with a warning.
    """
    years = list(range(start.year, end.year + 1))
    known = {int(r[0]) for r in conn.execute(KNOWN_YEARS, (years,)).fetchall()}
    calendar = load_calendar(conn, start, end)
    for year in years:
        if year in known:
            continue
        try:
            days = official_days(year)
        except NotImplementedError:
            continue  # the fallback warns on use
        calendar.days.update({d: w for d, w, _ in days if start <= d <= end})
    return calendar
