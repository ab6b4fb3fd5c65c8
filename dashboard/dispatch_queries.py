"""The dispatch pages' data (board, team orders, KPI month), assembled from dispatch's and ingest's views.

No SQL here: dispatch/views.py reads the cases, ingest/views.py the complaints' addresses. No
complainant identity here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from dispatch import views
from dispatch.deadlines import THRESHOLDS
from dispatch.states import TRANSITIONS
from envpetition.auth import may
from envpetition.localtime import LOCAL_TZ
from ingest.intake import complaints_of_case
from ingest.views import first_addresses

TEAM_ACTIONS = ("depart", "arrive", "investigate", "reply", "return")
teams = views.teams


def open_cases(conn: psycopg.Connection[Any], *, now: datetime, level: int | None = None,
               team_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Open cases, highest ladder level first, then the soonest running clock, with the site's address."""
    cases = views.open_cases(conn, now=now, level=level, team_id=team_id, limit=limit)
    addresses = first_addresses(conn, [c["id"] for c in cases])
    for case in cases:
        case["address"] = addresses.get(case["id"])
    return cases


def latest_month(conn: psycopg.Connection[Any], today: date) -> date:
    """The month of the newest case (the KPI page's default), else this month."""
    moment = views.latest_opened(conn)
    day = moment.astimezone(LOCAL_TZ).date() if moment else today
    return day.replace(day=1)


def used_class(used_pct: Any) -> str:
    """Colour band of a clock's used share: 50 / 80 / 100 / 150 % (the escalation thresholds)."""
    if used_pct is None:
        return ""
    used = float(used_pct)
    for threshold in reversed(THRESHOLDS):
        if used >= threshold:
            return f"u{threshold}"
    return "u0"


def overdue_text(due_at: datetime | None, now: datetime) -> str:
    """How long past due, for people: 超期 3 天 / 超期 5 小时; empty when not due yet."""
    if due_at is None or due_at > now:
        return ""
    hours = int((now - due_at).total_seconds() // 3600)
    return f"超期 {hours // 24} 天" if hours >= 48 else f"超期 {hours} 小时"


def decorate(cases: list[dict[str, Any]], now: datetime) -> None:
    """Colour band and overdue text of each case's next clock."""
    for case in cases:
        case["used_class"] = used_class(case["used_pct"])
        case["overdue"] = overdue_text(case["due_at"], now)


def actions_for(state: str, role: str) -> list[str]:
    """The field actions this role may take on a case in this state (dispatch's transition table decides)."""
    return [a for a in TEAM_ACTIONS
            if state in TRANSITIONS[a].sources and may(role, TRANSITIONS[a].roles)]


def case_with_complaints(conn: psycopg.Connection[Any], case_id: int) -> dict[str, Any]:
    """Dispatch's view of a case with ingest's complaints grouped under it."""
    case = views.case_detail(conn, case_id)
    case["complaints"] = complaints_of_case(conn, case_id)
    return case
