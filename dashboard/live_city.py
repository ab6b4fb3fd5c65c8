"""The demo city after its sample history: complaints, readings and teams going on, on the demo clock.

The sample period (about three months, made by the generators in ``sample_data/``) is played
again lap after lap, each lap a whole number of weeks later, so weekdays and hours stay right and
an episode's complaints arrive with the readings that explain them. Every tick: the complaints
and sensor messages of the elapsed window (``ingest.live``, ``monitoring.replay.LiveReplay``),
then the teams act with their usual delays (``dispatch.demo``), the escalation scanner fires.
Lives in dashboard/ because it wires every package together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from envpetition.runtime import LOCAL_TZ

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Laps:
    """Live time ↔ sample time: lap ``k`` is the sample period moved ``k * period`` later."""

    origin: datetime  # local midnight of the sample's first day
    period: timedelta  # whole weeks, at most the sample's span

    @classmethod
    def for_span(cls, first: datetime, last: datetime) -> Laps:
        """Laps for a sample running from ``first`` to ``last``.

        >>> from datetime import datetime
        >>> laps = Laps.for_span(datetime(2026, 8, 1, 1, tzinfo=LOCAL_TZ), datetime(2026, 10, 31, 23, tzinfo=LOCAL_TZ))
        >>> laps.period.days, laps.origin.isoformat()
        (91, '2026-08-01T00:00:00+08:00')
        """
        local = first.astimezone(LOCAL_TZ)
        origin = local.replace(hour=0, minute=0, second=0, microsecond=0)
        weeks = max(1, math.floor((last - origin) / WEEK))
        return cls(origin, weeks * WEEK)

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, timedelta, int]]:
        """Live ``[start, end)`` as sample windows: (since, until, shift, lap), split where a lap ends."""
        out = []
        moment = start
        while moment < end:
            lap = math.floor((moment - self.origin) / self.period)
            shift = lap * self.period
            upto = min(end, self.origin + shift + self.period)
            out.append((moment - shift, upto - shift, shift, lap))
            moment = upto
        return out


class LiveCity:
    """Keeps the sample city busy: one ``tick(conn, since, until)`` per step of the demo clock."""

    def __init__(self, conn: Any, sample_dir: str | Path, mqtt_url: str, *, topic_prefix: str, now: datetime) -> None:
        from ingest.live import SampleFeed
        from ingest.service import IntakeContext
        from monitoring.publish import Publisher
        from monitoring.replay import LiveReplay

        self.feed = SampleFeed(sample_dir, now=now)
        self.laps = Laps.for_span(self.feed.times[0], self.feed.times[-1])
        self.ctx = IntakeContext.load(conn, backfill=True, actor="demo-live")
        self.publisher = Publisher(mqtt_url)
        self.replay = LiveReplay(Path(sample_dir) / "sensors", self.publisher, topic_prefix=topic_prefix)

    def tick(self, conn: Any, since: datetime, until: datetime) -> dict[str, int]:
        """Everything that happened in the city in ``[since, until)`` of the demo clock; counts per kind."""
        from dispatch.demo import progress_cases
        from dispatch.escalation import scan
        from ingest.live import feed_window

        totals: dict[str, int] = {}

        def add(counts: dict[str, Any]) -> None:
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + int(n)

        for start, end, shift, lap in self.laps.windows(since, until):
            if lap < 1:
                continue  # lap 0 is the sample history itself, imported already
            add(feed_window(conn, self.feed, self.ctx, since=start, until=end, shift=shift, lap=lap, now=until))
            add({"messages": self.replay.publish_window(start, end, shift)})
        self.publisher.flush()
        add(progress_cases(conn, now=until))
        add({"escalation_steps": scan(conn, now=until)["fired"]})
        return totals

    def close(self) -> None:
        self.publisher.close()
