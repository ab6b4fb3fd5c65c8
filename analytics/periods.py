"""Reporting periods: a month (2026-09), an ISO week (2026-W37) or a quarter (2026-Q3), in local time.

A period knows its start and end (end exclusive, local midnight), the period before it (环比) and
the same period a year earlier (同比). Pure functions; nothing reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from envpetition.localtime import LOCAL_TZ

KINDS = ("week", "month", "quarter")
KIND_LABELS = {"week": "周报", "month": "月报", "quarter": "季报"}
FORMS = "period must look like 2026-09 (month), 2026-W37 (ISO week) or 2026-Q3 (quarter)"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A reporting period [first, after) of whole local days."""

    kind: str
    first: date
    after: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), LOCAL_TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time(), LOCAL_TZ)

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        iso = self.first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    @property
    def label(self) -> str:
        """Chinese label, e.g. 2026年9月, 2026年第3季度, 2026年第37周（09-07至09-13）."""
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        if self.kind == "quarter":
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        last = self.after - timedelta(days=1)
        return f"{self.first.isocalendar().year}年第{self.first.isocalendar().week}周（{self.first:%m-%d}至{last:%m-%d}）"

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods later (negative: earlier)."""
        if self.kind == "week":
            return Period("week", self.first + timedelta(weeks=steps), self.after + timedelta(weeks=steps))
        months = 3 if self.kind == "quarter" else 1
        return Period(self.kind, _add_months(self.first, steps * months), _add_months(self.after, steps * months))

    @property
    def previous(self) -> Period:
        """The period before (环比)."""
        return self.shifted(-1)

    @property
    def year_before(self) -> Period:
        """The same period a year earlier (同比); for weeks the ISO week with the same number."""
        if self.kind == "week":
            return self.shifted(-52)
        return self.shifted(-4 if self.kind == "quarter" else -12)


def parse_period(text: str) -> Period:
    """Parse ``2026-09``, ``2026-W37`` or ``2026-Q3``; raise ValueError with the accepted forms.

    Examples
    --------
    >>> parse_period("2026-09").end.isoformat()
    '2026-10-01T00:00:00+08:00'
    >>> parse_period("2026-Q3").previous.key
    '2026-Q2'
    """
    text = (text or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"月份无效 {text!r} / {FORMS}")
        first = date(year, month, 1)
        return Period("month", first, _add_months(first, 1))
    if m := _WEEK.match(text):
        try:
            first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise ValueError(f"周次无效 {text!r} / {FORMS}") from exc
        return Period("week", first, first + timedelta(weeks=1))
    if m := _QUARTER.match(text):
        first = date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
        return Period("quarter", first, _add_months(first, 3))
    raise ValueError(f"无法识别的期间 {text!r} / {FORMS}")


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "month":
        return parse_period(f"{day:%Y-%m}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "week":
        iso = day.isocalendar()
        return parse_period(f"{iso.year}-W{iso.week}")
    raise ValueError(f"unknown period kind {kind!r}; kinds are {', '.join(KINDS)}")


def month_steps(period: Period, count: int) -> list[Period]:
    """The ``count`` months ending with the month in which ``period`` ends (oldest first)."""
    last = period_of("month", period.after - timedelta(days=1))
    return [last.shifted(-i) for i in range(count - 1, -1, -1)]
