"""Repository of a case's clocks: start them from the policy, meet them, pause and extend them.

Pauses are rows in ``clock_pauses`` (from, to, reason, approver); on resume the due time moves by
the paused wall-clock span. Only clocks whose policy rule is ``pausable`` may pause (the statutory
60-day close clock may, e.g. for laboratory testing; arrival clocks may not).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.deadlines import FIRST_THRESHOLD, Policy, alert_time, compute_clocks, extended_close_due
from dispatch.policy import calendar_around
from envpetition.calendar import WorkCalendar
from envpetition.db import copy_rows
from envpetition.errors import Conflict, InvalidInput, NotFound

INSERT_CLOCK = """
insert into clocks (case_id, kind, started_at, due_at, base_due_at, policy_version, next_threshold,
                    next_alert_at, urgent)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning id
"""
MEET_CLOCKS = """
update clocks set met_at = %s, outcome = %s, next_alert_at = null
where case_id = %s and kind = any(%s) and met_at is null returning id
"""
COPY_CLOCKS = """
copy clocks (case_id, kind, started_at, due_at, base_due_at, policy_version, next_threshold, next_alert_at,
             urgent, met_at, outcome) from stdin (format binary)
"""
CLOCK_TYPES = ("int8", "text", "timestamptz", "timestamptz", "timestamptz", "int4", "int2", "timestamptz", "bool",
               "timestamptz", "text")
SELECT_CLOCKS = """
select id, kind, started_at, due_at, base_due_at, met_at, outcome, policy_version, paused, next_threshold
from clocks where case_id = %s order by started_at, id
"""
SELECT_CLOCK = "select id, case_id, kind, started_at, due_at, met_at, paused, next_threshold, policy_version from clocks where id = %s for update"
OPEN_PAUSE = "insert into clock_pauses (clock_id, paused_from, reason, approver) values (%s, %s, %s, %s)"
CLOSE_PAUSE = "update clock_pauses set paused_to = %s where clock_id = %s and paused_to is null returning paused_from"
SET_PAUSED = "update clocks set paused = true, next_alert_at = null where id = %s"
SET_RESUMED = "update clocks set paused = false, due_at = %s, next_alert_at = %s where id = %s"
SET_DUE = "update clocks set due_at = %s, next_alert_at = %s where id = %s"
SELECT_PAUSABLE = "select pausable from clock_policies where version = %s and kind = %s limit 1"


def start_clock(
    conn: psycopg.Connection[Any], case_id: int, kind: str, started: datetime, due: datetime, *,
    policy_version: int, urgent: bool,
) -> int:
    """Insert one running clock; its first alert is at the ladder's first step."""
    row = conn.execute(
        INSERT_CLOCK, (case_id, kind, started, due, due, policy_version, FIRST_THRESHOLD,
                       alert_time(started, due, FIRST_THRESHOLD), urgent)
    ).fetchone()
    assert row is not None
    return int(row[0])


def start_policy_clocks(
    conn: psycopg.Connection[Any], case_id: int, policy: Policy, *, priority: str, received: datetime,
    investigated: datetime | None = None, kinds: tuple[str, ...] | None = None,
) -> dict[str, int]:
    """Start the policy's clocks for a case (those that start at ``investigated`` only when given)."""
    calendar = calendar_around(conn, min(received, investigated or received), investigated)
    clocks = compute_clocks(policy, calendar, received=received, priority=priority, investigated=investigated)
    out = {}
    for kind, (start, due) in clocks.items():
        if kinds is not None and kind not in kinds:
            continue
        if investigated is not None and kinds is None and policy.rule(kind, priority).starts_on != "investigated":
            continue
        out[kind] = start_clock(conn, case_id, kind, start, due, policy_version=policy.version,
                                urgent=priority != "normal")
    return out


def opening_clock_rows(
    case_id: int, policy: Policy, calendar: WorkCalendar, *, priority: str, received: datetime,
    met: tuple[str, ...] = (), met_at: datetime | None = None,
) -> list[tuple[Any, ...]]:
    """The clock rows (``COPY_CLOCKS`` columns) a case opened at ``received`` starts with: the same
    values as ``start_policy_clocks`` followed by ``meet_clocks(met, at=met_at)``."""
    rows: list[tuple[Any, ...]] = []
    for kind, (start, due) in compute_clocks(policy, calendar, received=received, priority=priority).items():
        if kind in met:
            rows.append((case_id, kind, start, due, due, policy.version, FIRST_THRESHOLD, None, priority != "normal", met_at, "met"))
        else:
            rows.append((case_id, kind, start, due, due, policy.version, FIRST_THRESHOLD,
                         alert_time(start, due, FIRST_THRESHOLD),
                         priority != "normal", None, None))
    return rows


def copy_clocks(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    copy_rows(conn, COPY_CLOCKS, CLOCK_TYPES, rows)


def meet_clocks(conn: psycopg.Connection[Any], case_id: int, kinds: list[str], *, at: datetime,
                outcome: str = "met") -> list[int]:
    """Stop the case's running clocks of ``kinds`` (met, or stopped for another reason)."""
    return [r[0] for r in conn.execute(MEET_CLOCKS, (at, outcome, case_id, kinds)).fetchall()]


def case_clocks(conn: psycopg.Connection[Any], case_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SELECT_CLOCKS, (case_id,)).fetchall()


def _locked_clock(conn: psycopg.Connection[Any], clock_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        clock = cur.execute(SELECT_CLOCK, (clock_id,)).fetchone()
    if clock is None:
        raise NotFound(f"时限 {clock_id} 不存在 / no clock {clock_id}")
    if clock["met_at"] is not None:
        raise Conflict(f"时限 {clock_id} 已结束 / clock {clock_id} has already stopped")
    return clock


def pause_clock(conn: psycopg.Connection[Any], clock_id: int, *, reason: str, approver: str, now: datetime) -> None:
    """Pause a running clock where the policy allows it; the reason and the approver are required."""
    if not reason.strip() or not approver.strip():
        raise InvalidInput("暂停必须写明原因和批准人 / a pause needs a reason and an approver")
    clock = _locked_clock(conn, clock_id)
    pausable = conn.execute(SELECT_PAUSABLE, (clock["policy_version"], clock["kind"])).fetchone()
    if not pausable or not pausable[0]:
        raise Conflict(f"{clock['kind']} 时限不可暂停 / the {clock['kind']} clock may not pause under the rules")
    if clock["paused"]:
        raise Conflict("时限已暂停 / clock already paused")
    conn.execute(OPEN_PAUSE, (clock_id, now, reason, approver))
    conn.execute(SET_PAUSED, (clock_id,))


def resume_clock(conn: psycopg.Connection[Any], clock_id: int, *, now: datetime) -> datetime:
    """End the open pause; the due time moves by the paused span. Return the new due time."""
    clock = _locked_clock(conn, clock_id)
    row = conn.execute(CLOSE_PAUSE, (now, clock_id)).fetchone()
    if row is None:
        raise Conflict("时限未暂停 / clock is not paused")
    new_due = clock["due_at"] + (now - row[0])
    threshold = clock["next_threshold"]
    next_alert = alert_time(clock["started_at"], new_due, threshold) if threshold else None
    conn.execute(SET_RESUMED, (new_due, next_alert, clock_id))
    return new_due


def extend_close_clock(conn: psycopg.Connection[Any], case_id: int, policy: Policy) -> datetime:
    """Apply an approved extension to the running close clock; return the new due time."""
    with conn.cursor(row_factory=dict_row) as cur:
        clock = cur.execute(
            "select id, started_at, due_at, next_threshold from clocks where case_id = %s and kind = 'close' "
            "and met_at is null for update", (case_id,),
        ).fetchone()
    if clock is None:
        raise Conflict("没有进行中的办结时限 / no running close clock to extend")
    new_due = extended_close_due(clock["due_at"], policy)
    threshold = clock["next_threshold"]
    conn.execute(SET_DUE, (new_due, alert_time(clock["started_at"], new_due, threshold) if threshold else None,
                           clock["id"]))
    return new_due

