"""Pure deadline rules: due times from a policy and the working calendar. No I/O, ``now`` passed in.

Sources (quoted in each policy row's ``source``): normal complaints on site within 1 working day,
urgent within 2–6 hours, follow-up visit within 3 working days after the on-site investigation
(``003_a036d80cd5051f63.txt``); finish within 60 days, +30 with an approved extension (信访条例
Art. 33, see reference/deadlines.md).

Working-day rule: a start on a non-working day moves to the start of business (policy
``business_start``, default 08:30) of the next working day; N working days later is the same clock
time on the Nth working day after that date. Hours are wall clock (holidays included); calendar days
are plain days at the same local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from envpetition.calendar import WorkCalendar
from envpetition.localtime import LOCAL_TZ, as_local

CLOCK_KINDS = ("accept", "dispatch", "arrive", "reply", "follow_up", "close")
PRIORITIES = ("emergency", "urgent", "normal")
PRIORITY_LABELS = {"emergency": "特急", "urgent": "紧急", "normal": "一般"}
CLOCK_LABELS = {"accept": "受理", "dispatch": "交办", "arrive": "到场", "reply": "答复", "follow_up": "回访",
                "close": "办结", "supervision": "督办"}
# The escalation ladder: a running clock alerts at these shares (%) of its span (dispatch/escalation.py).
THRESHOLDS = (50, 80, 100, 150)
FIRST_THRESHOLD = THRESHOLDS[0]


@dataclass(frozen=True)
class ClockRule:
    kind: str
    priority: str
    unit: str  # hours | working_days | calendar_days
    amount: float
    starts_on: str  # received | investigated
    pausable: bool = False
    source: str = ""


@dataclass(frozen=True)
class Policy:
    version: int
    rules: dict[tuple[str, str], ClockRule]
    business_start: time = time(8, 30)
    business_end: time = time(17, 30)
    extension_days: int = 30
    final_no_working_days: int = 5
    quick_escalation_fraction: float = 0.1

    def rule(self, kind: str, priority: str) -> ClockRule:
        return self.rules[(kind, priority)]


def working_start(moment: datetime, calendar: WorkCalendar, business_start: time) -> datetime:
    """Move a start on a non-working day to the start of business of the next working day."""
    moment = as_local(moment)
    if calendar.is_workday(moment.date()):
        return moment
    day = calendar.next_workday(moment.date())
    return datetime.combine(day, business_start, LOCAL_TZ)


def add_working_days(start: datetime, days: int, calendar: WorkCalendar, business_start: time) -> datetime:
    """``days`` working days after ``start`` by the rule in the module docstring."""
    if days < 0:
        raise ValueError("working days must not be negative")
    begin = working_start(start, calendar, business_start)
    day: date = begin.date()
    for _ in range(days):
        day = calendar.next_workday(day)
    return datetime.combine(day, begin.timetz().replace(tzinfo=None), LOCAL_TZ)


def due_time(rule: ClockRule, start: datetime, calendar: WorkCalendar, policy: Policy) -> datetime:
    """When a clock of ``rule`` started at ``start`` falls due."""
    start = as_local(start)
    if rule.unit == "hours":
        return start + timedelta(hours=rule.amount)
    if rule.unit == "calendar_days":
        return datetime.combine(start.date() + timedelta(days=int(rule.amount)), start.timetz())
    if rule.unit == "working_days":
        if rule.amount != int(rule.amount):
            raise ValueError(f"working days must be whole, got {rule.amount}")
        return add_working_days(start, int(rule.amount), calendar, policy.business_start)
    raise ValueError(f"unknown clock unit {rule.unit!r}")


def compute_clocks(
    policy: Policy, calendar: WorkCalendar, *, received: datetime, priority: str,
    investigated: datetime | None = None,
) -> dict[str, tuple[datetime, datetime]]:
    """Return kind → (start, due) for every clock the policy defines that can start now.

    Clocks that start on the investigation (reply, follow_up) appear only when ``investigated`` is given.
    """
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}")
    out = {}
    for kind in CLOCK_KINDS:
        rule = policy.rules.get((kind, priority))
        if rule is None:
            continue
        start = received if rule.starts_on == "received" else investigated
        if start is None:
            continue
        out[kind] = (as_local(start), due_time(rule, start, calendar, policy))
    return out


def extended_close_due(due: datetime, policy: Policy) -> datetime:
    """The close deadline after an approved extension (+30 calendar days by default)."""
    due = as_local(due)
    return datetime.combine(due.date() + timedelta(days=policy.extension_days), due.timetz())


def in_working_hours(moment: datetime, calendar: WorkCalendar, policy: Policy) -> bool:
    moment = as_local(moment)
    return calendar.is_workday(moment.date()) and policy.business_start <= moment.time() < policy.business_end


def next_working_hours(moment: datetime, calendar: WorkCalendar, policy: Policy) -> datetime:
    """``moment`` itself if it is in working hours, else the next start of business."""
    moment = as_local(moment)
    if in_working_hours(moment, calendar, policy):
        return moment
    if calendar.is_workday(moment.date()) and moment.time() < policy.business_start:
        return datetime.combine(moment.date(), policy.business_start, LOCAL_TZ)
    return datetime.combine(calendar.next_workday(moment.date()), policy.business_start, LOCAL_TZ)


def clock_share(started: datetime, due: datetime, now: datetime) -> float | None:
    """The share of a clock's span used at ``now`` (1.0 when due); None for a clock with no span."""
    span = (due - started).total_seconds()
    return None if span == 0 else (now - started).total_seconds() / span


def used_pct(started: datetime | None, due: datetime | None, now: datetime) -> float | None:
    """The share of a clock's span used, in percent to one decimal (the boards' figure)."""
    share = None if started is None or due is None else clock_share(started, due, now)
    return None if share is None else round(share * 100, 1)


def alert_time(started: datetime, due: datetime, threshold: int) -> datetime:
    """The instant a clock reaches ``threshold`` percent of its span."""
    return started + (due - started) * threshold / 100


