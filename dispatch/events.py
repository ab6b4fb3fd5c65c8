"""A case's history: append one event, or many by COPY. The only module that writes ``case_events``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from envpetition.db import copy_rows

INSERT_EVENT = """
insert into case_events (case_id, at, actor, role, kind, from_state, to_state, reason, data)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
COPY_EVENTS = """
copy case_events (case_id, at, actor, role, kind, from_state, to_state, reason, data) from stdin (format binary)
"""
EVENT_TYPES = ("int8", "timestamptz", "text", "text", "text", "text", "text", "text", "jsonb")


def record_event(
    conn: psycopg.Connection[Any], case_id: int, kind: str, *, actor: str, role: str | None, at: datetime,
    from_state: str | None = None, to_state: str | None = None, reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event to the case's history."""
    conn.execute(INSERT_EVENT, (case_id, at, actor, role, kind, from_state, to_state, reason, Jsonb(data or {})))


def copy_events(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    """Append many events, as (case_id, at, actor, role, kind, from_state, to_state, reason, Jsonb data) rows."""
    copy_rows(conn, COPY_EVENTS, EVENT_TYPES, rows)
