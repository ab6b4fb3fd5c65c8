"""Repository of the versioned clock policy and the working calendar window the rules need."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from dispatch.deadlines import ClockRule, Policy
from envpetition.calendar import WorkCalendar, calendar_window
from envpetition.errors import NotFound
from envpetition.localtime import as_local

SELECT_VERSION = """
select version, business_start, business_end, extension_days, final_no_working_days, quick_escalation_fraction
from clock_policy_versions where active and (%(v)s::int is null or version = %(v)s)
order by version desc limit 1
"""
SELECT_RULES = """
select kind, priority, unit, amount, starts_on, pausable, source from clock_policies where version = %s
"""
INSERT_VERSION = """
insert into clock_policy_versions (version, note, business_start, business_end, extension_days,
                                   final_no_working_days, quick_escalation_fraction)
select coalesce(max(version), 0) + 1, %s, %s, %s, %s, %s, %s from clock_policy_versions
returning version
"""
COPY_RULES = """
insert into clock_policies (version, kind, priority, unit, amount, starts_on, pausable, source)
select %s, kind, priority, unit, amount, starts_on, pausable, source from clock_policies where version = %s
"""
SET_RULE = """
update clock_policies set unit = %s, amount = %s, source = %s where version = %s and kind = %s and priority = %s
"""

# Days of calendar loaded around a start: enough for 60 + 30 calendar days and long holidays.
CALENDAR_BEFORE = timedelta(days=7)
CALENDAR_AFTER = timedelta(days=140)


def load_policy(conn: psycopg.Connection[Any], version: int | None = None) -> Policy:
    """The active policy (newest version), or a given version."""
    row = conn.execute(SELECT_VERSION, {"v": version}).fetchone()
    if row is None:
        raise NotFound(f"没有时限策略版本 {version} / no clock policy version {version}")
    ver, b_start, b_end, ext, final_no, quick = row
    rules = {
        (kind, prio): ClockRule(kind, prio, unit, float(amount), starts_on, pausable, source)
        for kind, prio, unit, amount, starts_on, pausable, source in conn.execute(SELECT_RULES, (ver,)).fetchall()
    }
    return Policy(version=ver, rules=rules, business_start=b_start, business_end=b_end, extension_days=ext,
                  final_no_working_days=final_no, quick_escalation_fraction=quick)


def calendar_around(conn: psycopg.Connection[Any], moment: datetime, until: datetime | None = None) -> WorkCalendar:
    """The working calendar from a week before ``moment`` to ~4 months after it (or after ``until``).

    A read: years with no stored day take the official calendar in memory, nothing is written
    (``GET /api/dispatch/deadlines`` calls this).
    """
    day = as_local(moment).date()
    last = max(day, as_local(until).date()) if until is not None else day
    return calendar_window(conn, day - CALENDAR_BEFORE, last + CALENDAR_AFTER)


def new_policy_version(
    conn: psycopg.Connection[Any], *, note: str, changes: list[tuple[str, str, str, float, str]],
    base: Policy,
) -> int:
    """Copy ``base`` into a new version with (kind, priority, unit, amount, source) changes; return it.

    Running clocks keep the version they snapshotted; only clocks started later use the new one.
    """
    row = conn.execute(INSERT_VERSION, (note, base.business_start, base.business_end, base.extension_days,
                                        base.final_no_working_days, base.quick_escalation_fraction)).fetchone()
    assert row is not None
    version = int(row[0])
    conn.execute(COPY_RULES, (version, base.version))
    for kind, priority, unit, amount, source in changes:
        conn.execute(SET_RULE, (unit, amount, source, version, kind, priority))
    return version
