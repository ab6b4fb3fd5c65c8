"""Outbox of SMS / e-mail notices to unit heads (``001_b9a0ec233ad2b317.txt``: SMS to unit heads).

Rows are written in the same transaction as the event that causes them; a gateway drains them.
Non-urgent notices carry ``send_after`` = the next working hours (no escalation mail at midnight).
A real SMS or mail gateway implements ``Gateway.send``; ``RecordingGateway`` only logs the subject.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row

log = logging.getLogger(__name__)

INSERT = """
insert into outbox (channel, recipient_role, recipient_team_id, case_id, subject, body, created_at, send_after, dedupe_key)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict (dedupe_key) do nothing returning id
"""
SELECT_DUE = """
select id, channel, recipient_role, recipient_team_id, case_id, subject, body from outbox
where sent_at is null and send_after <= %s and attempts < %s order by send_after, id limit %s for update skip locked
"""
MARK_SENT = "update outbox set sent_at = %s, attempts = attempts + 1 where id = %s"
MARK_ERROR = "update outbox set attempts = attempts + 1, last_error = %s where id = %s"
MAX_ATTEMPTS = 5


class Gateway(Protocol):
    def send(self, message: dict[str, Any]) -> None:
        """Deliver one message or raise."""


@dataclass
class RecordingGateway:
    """Keeps what it was given (the demo and tests); logs subjects only, never bodies."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        log.info("notice %s to %s: %s", message["channel"], message["recipient_role"], message["subject"])


def enqueue(
    conn: psycopg.Connection[Any], *, channel: str, recipient_role: str, subject: str, body: str, now: datetime,
    case_id: int | None = None, team_id: int | None = None, urgent: bool = False,
    send_after: datetime | None = None, dedupe_key: str | None = None,
) -> int | None:
    """Queue a notice; return its id (None when the dedupe key was already used)."""
    row = conn.execute(INSERT, (channel, recipient_role, team_id, case_id, subject, body, now,
                                now if urgent or send_after is None else send_after, dedupe_key)).fetchone()
    return int(row[0]) if row else None


def deliver(conn: psycopg.Connection[Any], gateway: Gateway, *, now: datetime, limit: int = 500) -> dict[str, int]:
    """Hand due notices to the gateway; failures stay queued with the error (several workers may run)."""
    counts = {"sent": 0, "failed": 0}
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        for message in cur.execute(SELECT_DUE, (now, MAX_ATTEMPTS, limit)).fetchall():
            try:
                gateway.send(message)
            except Exception as exc:  # a gateway may fail any way; keep the row and the reason
                conn.execute(MARK_ERROR, (f"{type(exc).__name__}: {exc}", message["id"]))
                counts["failed"] += 1
                continue
            conn.execute(MARK_SENT, (now, message["id"]))
            counts["sent"] += 1
    return counts


def pending(conn: psycopg.Connection[Any], limit: int = 100) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select id, channel, recipient_role, recipient_team_id, case_id, subject, body, created_at, send_after, "
            "sent_at, attempts, last_error from outbox order by id desc limit %s", (limit,)).fetchall()
