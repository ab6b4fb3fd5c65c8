"""Time-based escalation: a scanner that fires 50 / 80 / 100 / 150 % steps of every running clock.

50 % reminds the handling team, 80 % notifies the section chief, 100 % issues a supervision order
and notifies the deputy director, 150 % notifies the director and puts the case on the weekly
dispatch meeting list (weekly meeting: ``004_e87d0cefe5859f3c.txt``; supervision orders:
``003_a036d80cd5051f63.txt``). Non-urgent notices wait for working hours (outbox ``send_after``).
A clock breached with no person having escalated it is flagged (``001_b9a0ec233ad2b317.txt``).

Safe to run in several processes and to kill at any point: each batch is one transaction; clocks are
claimed with ``FOR UPDATE SKIP LOCKED``; the unique key (clock_id, threshold) with
``ON CONFLICT DO NOTHING`` makes a step fire once; only the rows actually inserted get actions.
Each clock carries ``next_alert_at`` (indexed), so a scan touches only the clocks that are due;
which steps a clock has reached is the pure rule ``crossed_thresholds``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from dispatch.deadlines import FIRST_THRESHOLD, THRESHOLDS, add_working_days, alert_time, next_working_hours
from dispatch.policy import calendar_around, load_policy
from envpetition.localtime import as_local

LEVEL_AT = {50: 1, 80: 2, 100: 3, 150: 4}
NOTICE_TO = {50: "team_member", 80: "section_chief", 100: "deputy_director", 150: "director"}
NOTICE_TEXT = {50: "时限已过半,请抓紧办理", 80: "时限已用 80%,请科室负责人督促",
               100: "已超时限,已下达专项督办令", 150: "超时限 50%,请主要领导过问,列入周调度会"}

CLAIM = """
select k.id, k.case_id, k.started_at, k.due_at, k.next_threshold, k.kind, k.urgent, c.team_id
from clocks k join cases c on c.id = k.case_id
where k.met_at is null and k.next_alert_at <= %(now)s and c.closed_at is null
order by k.next_alert_at
limit %(batch)s
for update of k skip locked
"""
RECORD_STEPS = """
insert into escalations (clock_id, case_id, threshold, fired_at, scanner)
select clock_id, case_id, threshold, %(now)s, %(scanner)s
from unnest(%(clock_ids)s::bigint[], %(case_ids)s::bigint[], %(thresholds)s::smallint[]) u(clock_id, case_id, threshold)
on conflict (clock_id, threshold) do nothing
returning clock_id, threshold
"""
ADVANCE = """
update clocks k set next_threshold = u.next_threshold, next_alert_at = u.next_alert_at
from unnest(%(clock_ids)s::bigint[], %(next)s::smallint[], %(next_at)s::timestamptz[]) u(id, next_threshold, next_alert_at)
where k.id = u.id
"""
RAISE_LEVELS = """
update cases c set level = greatest(c.level, x.level), updated_at = %(now)s
from (select case_id, max(level) as level from unnest(%(case_ids)s::bigint[], %(levels)s::smallint[]) u(case_id, level)
      group by case_id) x
where c.id = x.case_id and c.level < x.level
"""
INSERT_EVENTS = """
insert into case_events (case_id, at, actor, role, kind, reason, data)
select case_id, %(now)s, 'escalation-scanner', 'system', 'time_escalated',
       kind || ' 时限 ' || threshold || '%%', jsonb_build_object('clock_id', clock_id, 'threshold', threshold)
from unnest(%(case_ids)s::bigint[], %(clock_ids)s::bigint[], %(thresholds)s::smallint[], %(kinds)s::text[])
     u(case_id, clock_id, threshold, kind)
"""
INSERT_NOTICES = """
insert into outbox (channel, recipient_role, recipient_team_id, case_id, subject, body, created_at, send_after, dedupe_key)
select 'sms', role, team_id, case_id, '案件 ' || case_id || ' ' || kind || ' 时限 ' || threshold || '%%', body,
       %(now)s, case when urgent then %(now)s else %(work_now)s end, 'esc-' || clock_id || '-' || threshold
from unnest(%(case_ids)s::bigint[], %(clock_ids)s::bigint[], %(thresholds)s::smallint[], %(kinds)s::text[],
            %(roles)s::text[], %(team_ids)s::bigint[], %(bodies)s::text[], %(urgents)s::boolean[])
     u(case_id, clock_id, threshold, kind, role, team_id, body, urgent)
on conflict (dedupe_key) do nothing
"""
INSERT_SUPERVISION_CLOCKS = """
with o as (
    insert into clocks (case_id, kind, started_at, due_at, base_due_at, policy_version, next_threshold, next_alert_at, urgent)
    select case_id, 'supervision', %(now)s, %(order_due)s, %(order_due)s, %(version)s, %(first)s,
           %(now)s + (%(order_due)s - %(now)s) * %(first)s / 100.0, urgent
    from unnest(%(case_ids)s::bigint[], %(urgents)s::boolean[]) u(case_id, urgent)
    returning id, case_id
)
insert into supervision_orders (case_id, issued_by, issued_role, issued_at, instruction, deadline_at, clock_id, source)
select case_id, 'escalation-scanner', 'system', %(now)s, '超时限专项督办:请于期限前报告办理情况', %(order_due)s, id, 'scanner'
from o
"""
INSERT_MEETING = """
insert into meeting_items (week, case_id, reason, added_at)
select %(week)s, case_id, '超时限 150%%', %(now)s from unnest(%(case_ids)s::bigint[]) case_id
on conflict do nothing
"""
INSERT_LEDGER = """
insert into ledger_entries (case_id, ledger, added_at, reason)
select distinct case_id, 'unresolved', %(now)s::timestamptz, '超时限未办结' from unnest(%(case_ids)s::bigint[]) case_id
on conflict (case_id, ledger) where resolved_at is null do nothing
"""
FLAG_BREACHES = """
insert into accountability_flags (case_id, clock_id, kind, level, team_id, at, detail)
select u.case_id, u.clock_id, 'breached_without_escalation', c.level, c.team_id, %(now)s, '{}'
from unnest(%(case_ids)s::bigint[], %(clock_ids)s::bigint[]) u(case_id, clock_id)
join cases c on c.id = u.case_id join clocks k on k.id = u.clock_id
where not exists (select 1 from case_events e where e.case_id = u.case_id and e.kind = 'escalated'
                  and e.at >= k.started_at)
on conflict do nothing
"""


@dataclass
class ScanSummary:
    fired: int = 0
    by_threshold: dict[int, int] = field(default_factory=dict)
    supervision_orders: int = 0
    meeting_items: int = 0
    flags: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"fired": self.fired, "by_threshold": {str(k): v for k, v in sorted(self.by_threshold.items())},
                "supervision_orders": self.supervision_orders, "meeting_items": self.meeting_items,
                "flags": self.flags, "batches": self.batches}


def default_scanner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def week_of(moment: datetime) -> date:
    """Monday of the week of ``moment`` (local), the key of the weekly dispatch meeting list."""
    day = as_local(moment).date()
    return day - timedelta(days=day.weekday())


def crossed_thresholds(started: datetime, due: datetime, next_threshold: int, now: datetime,
                       thresholds: tuple[int, ...] = THRESHOLDS) -> tuple[list[int], int | None]:
    """The steps from ``next_threshold`` on that ``now`` has reached, and the next step still ahead."""
    reached = [t for t in thresholds if t >= next_threshold and alert_time(started, due, t) <= now]
    ahead = [t for t in thresholds if t >= next_threshold and t not in reached]
    return reached, (ahead[0] if ahead else None)


def _scan_batch(conn: psycopg.Connection[Any], *, now: datetime, batch: int, scanner: str,
                work_now: datetime, order_due: datetime, version: int, summary: ScanSummary) -> int:
    with conn.transaction():
        claimed = conn.execute(CLAIM, {"now": now, "batch": batch}).fetchall()
        if not claimed:
            return 0
        steps: list[tuple[int, int, int]] = []
        advance: tuple[list[int], list[int | None], list[datetime | None]] = ([], [], [])
        info = {}
        for clock_id, case_id, started, due, next_t, kind, urgent, team_id in claimed:
            reached, ahead = crossed_thresholds(started, due, next_t, now)
            steps.extend((clock_id, case_id, t) for t in reached)
            advance[0].append(clock_id)
            advance[1].append(ahead)
            advance[2].append(alert_time(started, due, ahead) if ahead else None)
            info[clock_id] = (case_id, kind, urgent, team_id)
        conn.execute(ADVANCE, {"clock_ids": advance[0], "next": advance[1], "next_at": advance[2]})
        if not steps:
            return len(claimed)
        inserted = conn.execute(RECORD_STEPS, {
            "now": now, "scanner": scanner, "clock_ids": [s[0] for s in steps], "case_ids": [s[1] for s in steps],
            "thresholds": [s[2] for s in steps]}).fetchall()
        top: dict[int, int] = {}
        for clock_id, threshold in inserted:
            top[clock_id] = max(threshold, top.get(clock_id, 0))
        # (clock_id, case_id, threshold, kind, urgent, team_id, is_top)
        rows = [(c, info[c][0], t, info[c][1], info[c][2], info[c][3], top[c] == t) for c, t in inserted]
        if rows:
            _act(conn, rows, now=now, work_now=work_now, order_due=order_due, version=version, summary=summary)
        return len(claimed)


def _act(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]], *, now: datetime, work_now: datetime,
         order_due: datetime, version: int, summary: ScanSummary) -> None:
    """Apply the actions of the steps this scanner recorded (and only those)."""
    clock_ids = [r[0] for r in rows]
    case_ids = [r[1] for r in rows]
    thresholds = [r[2] for r in rows]
    kinds = [r[3] for r in rows]
    common = {"now": now, "case_ids": case_ids, "clock_ids": clock_ids, "thresholds": thresholds, "kinds": kinds}
    conn.execute(RAISE_LEVELS, {"now": now, "case_ids": case_ids, "levels": [LEVEL_AT[t] for t in thresholds]})
    conn.execute(INSERT_EVENTS, common)
    top = [r for r in rows if r[6]]
    conn.execute(INSERT_NOTICES, {
        "now": now, "work_now": work_now, "case_ids": [r[1] for r in top], "clock_ids": [r[0] for r in top],
        "thresholds": [r[2] for r in top], "kinds": [r[3] for r in top], "roles": [NOTICE_TO[r[2]] for r in top],
        "team_ids": [r[5] for r in top], "bodies": [NOTICE_TEXT[r[2]] for r in top],
        "urgents": [r[4] for r in top]})
    breached = [r for r in rows if r[2] == 100]
    # One order per case, however many of its clocks broke in this scan.
    to_supervise = list({r[1]: r for r in breached if r[3] != "supervision"}.values())
    if to_supervise:
        conn.execute(INSERT_SUPERVISION_CLOCKS, {
            "now": now, "order_due": order_due, "version": version, "first": FIRST_THRESHOLD,
            "case_ids": [r[1] for r in to_supervise], "urgents": [r[4] for r in to_supervise]})
    if breached:
        b_cases = [r[1] for r in breached]
        conn.execute(INSERT_LEDGER, {"now": now, "case_ids": b_cases})
        cur = conn.execute(FLAG_BREACHES, {"now": now, "case_ids": b_cases, "clock_ids": [r[0] for r in breached]})
        summary.flags += cur.rowcount
    late = sorted({r[1] for r in rows if r[2] == 150})
    if late:
        cur = conn.execute(INSERT_MEETING, {"now": now, "week": week_of(now), "case_ids": late})
        summary.meeting_items += cur.rowcount
    summary.fired += len(rows)
    summary.supervision_orders += len(to_supervise)
    for t in thresholds:
        summary.by_threshold[t] = summary.by_threshold.get(t, 0) + 1


def scan(conn: psycopg.Connection[Any], *, now: datetime, batch: int = 20_000,
         scanner: str | None = None) -> dict[str, Any]:
    """Fire every due escalation step at ``now``; return a summary. The demo calls this periodically."""
    scanner = scanner or default_scanner_name()
    policy = load_policy(conn)
    calendar = calendar_around(conn, now)
    work_now = next_working_hours(now, calendar, policy)
    order_due = add_working_days(now, 1, calendar, policy.business_start)
    summary = ScanSummary()
    while True:
        summary.batches += 1
        claimed = _scan_batch(conn, now=now, batch=batch, scanner=scanner, work_now=work_now,
                              order_due=order_due, version=policy.version, summary=summary)
        if claimed < batch:
            break
    return summary.as_dict()
