"""The bulletin schedule: weekly every Monday morning, monthly on the 1st, quarterly on a quarter's 1st.

``due_periods`` is a pure rule with ``now`` passed in; ``run_schedule`` issues what is due and not yet
issued (the archive's unique index makes concurrent runners issue each period once).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from analytics.periods import Period, period_of

ISSUE_AT = time(8, 0)  # local time: the bulletin is ready when the office opens


def due_periods(now: datetime) -> list[Period]:
    """The latest finished week, month and quarter whose issue time (08:00 on the day after) has passed.

    Examples
    --------
    >>> from analytics.periods import LOCAL_TZ
    >>> [p.key for p in due_periods(datetime(2026, 10, 1, 9, 0, tzinfo=LOCAL_TZ))]
    ['2026-W39', '2026-09', '2026-Q3']
    >>> [p.key for p in due_periods(datetime(2026, 10, 1, 7, 0, tzinfo=LOCAL_TZ))]
    ['2026-W39', '2026-08', '2026-Q2']
    """
    local = now.astimezone(period_of("month", now.date()).start.tzinfo)
    ready_day = (local - timedelta(hours=ISSUE_AT.hour, minutes=ISSUE_AT.minute)).date()
    this_week = period_of("week", ready_day)
    return [this_week.previous, period_of("month", ready_day).previous, period_of("quarter", ready_day).previous]


def run_schedule(conn: Any, *, now: datetime) -> list[dict[str, Any]]:
    """Build and keep every due bulletin not issued yet; return what was issued."""
    from analytics.bulletin.render import build_bulletin
    from analytics.bulletin.store import save_bulletin, scheduled_keys

    done = scheduled_keys(conn)
    issued = []
    for period in due_periods(now):
        if (period.kind, period.key) in done:
            continue
        built = build_bulletin(conn, period, now=now)
        bulletin_id = save_bulletin(conn, built, issued_at=now, trigger="schedule")
        if bulletin_id is not None:
            issued.append({"id": bulletin_id, "kind": period.kind, "period": period.key})
    return issued
