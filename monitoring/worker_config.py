"""What the ingest worker is configured with, counts, and passes between its threads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Incoming:
    mid: int
    qos: int
    topic: str
    payload: bytes
    received: float
    session: int = 0  # which connection it came on: only that one may acknowledge it


@dataclass
class WorkerStats:
    received: int = 0
    messages_committed: int = 0
    rows_new: int = 0
    rows_duplicate: int = 0
    dead_letters: int = 0
    batches: int = 0
    database_errors: int = 0
    acked: int = 0
    connects: int = 0
    analyses: int = 0
    exceedances: int = 0
    protocol: str = ""
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class WorkerConfig:
    topic_prefix: str = "envpetition/v1"
    client_id: str = "envpetition-ingest-1"
    share_group: str | None = "ingest"
    batch_max: int = 5000
    # Connections storing batches at once: one batch's COPY runs while another's rollups and
    # commit are on the server. Acknowledgements may then go out of order, which MQTT allows.
    writers: int = 2
    queue_max: int = 20000
    receive_maximum: int = 5000
    protocol: str = "auto"  # auto | 5 | 3.1.1
    retry_max_s: float = 5.0
    keepalive: int = 30
    # MQTT 5: keep the session (and its queue) this long while the worker is away; 0 ends it on
    # disconnect (a one-off check must not leave a queue behind on a shared broker).
    session_expiry_s: int = 7 * 24 * 3600
    # Run exceedance detection and walk-navigation peaks this often (None: never), over the hours
    # before the newest stored reading, so replayed history is analysed as it arrives too.
    analyse_every_s: float | None = None
    analysis_hours: float = 26.0
    # Plausible reading times: not more than this far ahead of the server clock (a device clock set
    # to 9999 once stopped analysis city-wide), not older than ``max_age_days`` (None: no limit, so
    # history can be replayed) and never before ``earliest_year``. Others are dead-lettered.
    max_ahead_s: float = 600.0
    max_age_days: float | None = None
    earliest_year: int = 2000
    # Create the coming days' partitions of readings (plain PostgreSQL) at start and this often
    # (None: never; then `envpetition storage maintain` must run, e.g. from cron).
    housekeeping_every_s: float | None = 3600.0
    on_commit: Callable[[list[Incoming], float], None] | None = field(default=None, repr=False)

    @property
    def subscription(self) -> str:
        topic = f"{self.topic_prefix}/sensors/+/readings"
        return f"$share/{self.share_group}/{topic}" if self.share_group else topic
