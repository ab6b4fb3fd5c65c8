"""Exceedance rules: averaging windows and events. Pure functions; no database, no clock.

Completeness follows HJ 663: an hourly mean needs ≥ 45 valid minutes, a daily mean ≥ 20 valid
hours, an 8-hour mean ≥ 6 valid hours. Noise uses the energy mean (LAeq = 10·log10 mean 10^(L/10)).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from envpetition.localtime import LOCAL_TZ
from monitoring.limits import Limit

MIN_MINUTES_PER_HOUR = 45
MIN_HOURS_PER_DAY = 20
MIN_HOURS_PER_8H = 6
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    value: float


@dataclass
class Event:
    start: datetime
    end: datetime
    peak_value: float
    peak_at: datetime
    windows: int


def hourly_means(minutes: Iterable[tuple[datetime, float]]) -> dict[datetime, float]:
    """Mean per hour of minute values, for hours with enough valid minutes."""
    sums: dict[datetime, list[float]] = defaultdict(list)
    for ts, value in minutes:
        sums[ts.astimezone(LOCAL_TZ).replace(minute=0, second=0, microsecond=0)].append(value)
    return {h: sum(v) / len(v) for h, v in sums.items() if len(v) >= MIN_MINUTES_PER_HOUR}


def hourly_laeq(minutes: Iterable[tuple[datetime, float]]) -> dict[datetime, float]:
    """Energy-mean LAeq per hour of minute LAeq values."""
    energy: dict[datetime, list[float]] = defaultdict(list)
    for ts, level in minutes:
        energy[ts.astimezone(LOCAL_TZ).replace(minute=0, second=0, microsecond=0)].append(10 ** (level / 10))
    return {h: 10 * math.log10(sum(e) / len(e)) for h, e in energy.items() if len(e) >= MIN_MINUTES_PER_HOUR}


def is_night(hour_start: datetime) -> bool:
    """GB 3096: night is 22:00-06:00 local time."""
    h = hour_start.astimezone(LOCAL_TZ).hour
    return h >= 22 or h < 6


def windows_for(limit: Limit, minutes: Sequence[tuple[datetime, float]], hourly: dict[datetime, float]) -> list[Window]:
    """The averaging windows ``limit`` is judged on (values already in the limit's unit)."""
    if limit.averaging == "1min":
        return [Window(ts, ts + timedelta(minutes=1), v) for ts, v in minutes]
    if limit.averaging == "1h":
        return [Window(h, h + HOUR, v) for h, v in sorted(hourly.items())]
    if limit.averaging in ("noise_day", "noise_night"):
        night = limit.averaging == "noise_night"
        return [Window(h, h + HOUR, v) for h, v in sorted(hourly.items()) if is_night(h) == night]
    days: dict[datetime, dict[int, float]] = defaultdict(dict)
    for h, v in hourly.items():
        local = h.astimezone(LOCAL_TZ)
        days[local.replace(hour=0)][local.hour] = v
    out = []
    for day, hours in sorted(days.items()):
        if limit.averaging == "24h":
            if len(hours) >= MIN_HOURS_PER_DAY:
                out.append(Window(day, day + timedelta(days=1), sum(hours.values()) / len(hours)))
        elif limit.averaging == "8h_max":
            # HJ 663: 8-hour moving means ending 08:00 ... 24:00 of the day; the largest counts.
            best: tuple[float, int] | None = None
            for first in range(0, 17):
                vals = [hours[h] for h in range(first, first + 8) if h in hours]
                if len(vals) >= MIN_HOURS_PER_8H:
                    mean = sum(vals) / len(vals)
                    if best is None or mean > best[0]:
                        best = (mean, first)
            if best is not None:
                start = day + timedelta(hours=best[1])
                out.append(Window(start, start + timedelta(hours=8), best[0]))
    return out


# One-time (1-minute) exceedances separated by a short dip are one episode, not twenty.
MERGE_GAP = {"1min": timedelta(minutes=10)}


def events_over(windows: Sequence[Window], limit_value: float, merge_gap: timedelta = timedelta(0)) -> list[Event]:
    """Runs of windows above ``limit_value`` (gaps up to ``merge_gap`` bridged) as events with peak."""
    events: list[Event] = []
    for w in sorted(windows, key=lambda w: w.start):
        if w.value <= limit_value:
            continue
        last = events[-1] if events else None
        if last is not None and w.start <= last.end + merge_gap:
            last.end = max(last.end, w.end)
            last.windows += 1
            if w.value > last.peak_value:
                last.peak_value, last.peak_at = w.value, w.start
        else:
            events.append(Event(w.start, w.end, w.value, w.start, 1))
    return events
