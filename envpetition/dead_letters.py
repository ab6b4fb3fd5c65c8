"""Dead letters: messages no worker could use, kept with the reason (the one module that writes them)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import psycopg

INSERT_DEAD_LETTER = """
insert into dead_letters (topic, payload, reason, digest) values (%s, %s, %s, %s)
on conflict (digest) do nothing
"""


def message_digest(topic: str, payload: bytes) -> bytes:
    """The identity of a message: its topic and its bytes."""
    return hashlib.sha256(topic.encode() + b"\x00" + payload).digest()


def store_dead_letters(conn: psycopg.Connection[Any], letters: Sequence[tuple[str, bytes, str]], *,
                       once: bool = True) -> int:
    """Keep (topic, raw payload, reason) messages; with ``once`` the same message twice is kept once."""
    if not letters:
        return 0
    with conn.cursor() as cur:
        cur.executemany(INSERT_DEAD_LETTER, [(topic, payload, reason, message_digest(topic, payload) if once else None)
                                             for topic, payload, reason in letters])
    return len(letters)
