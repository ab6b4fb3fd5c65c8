"""Read replicas: which server a read goes to (a streaming standby, or the primary as fallback).

A background thread asks every replica, once a ``check_every_s``, how far it has replayed
(``pg_last_wal_replay_lsn``) against the primary's current WAL position. A replica serves reads
while it is up and either caught up or behind by less than ``max_lag_s`` (the age of the last
transaction it replayed); otherwise reads go to the primary. A read that must see a write of its
own (read-your-own-writes) passes the primary's LSN after that write: only a replica that has
replayed that far serves it. A replica that stops between two checks is found at checkout (the
pool checks each connection; a short timeout) and the read falls back to the primary.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from envpetition.db import CONNECT_OPTIONS

log = logging.getLogger(__name__)

PRIMARY_LSN = "select pg_current_wal_lsn()::text"
REPLICA_STATE = """
select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       extract(epoch from now() - pg_last_xact_replay_timestamp())
"""


NEWEST = 1 << 64  # after_lsn no replica reaches: read from the primary


def lsn_value(lsn: str | None) -> int:
    """``'16/B374D848'`` → an integer that orders like the LSN (0 for None, :data:`NEWEST` if malformed).

    >>> lsn_value("0/10") < lsn_value("1/0") < lsn_value("junk") == NEWEST
    True
    """
    if not lsn:
        return 0
    try:
        high, low = lsn.split("/")
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return NEWEST


def replica_urls(value: str | None) -> list[str]:
    """``DATABASE_REPLICA_URL``: one connection string, or several ``postgresql://`` URLs separated by commas.

    >>> replica_urls("postgresql://a:5433/x, postgresql://b:5433/x")
    ['postgresql://a:5433/x', 'postgresql://b:5433/x']
    >>> replica_urls("host=b port=5433 dbname=x")
    ['host=b port=5433 dbname=x']
    """
    value = (value or "").strip()
    if "://" not in value:
        return [value] if value else []
    return [part for part in value.replace(",", " ").split() if part]


@dataclass
class ReplicaHealth:
    url: str
    up: bool = False
    replayed_lsn: int = 0
    lag_s: float | None = None
    checked_at: float = 0.0
    error: str | None = None


class ReadRouter:
    """The primary pool plus replica pools; ``read_connection()`` picks where a read runs."""

    def __init__(self, primary: ConnectionPool, replicas: list[str], *, max_lag_s: float = 5.0,
                 check_every_s: float = 1.0, pool_max_size: int = 8, checkout_timeout_s: float = 1.0) -> None:
        self.primary = primary
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self.checkout_timeout_s = checkout_timeout_s
        self.health = [ReplicaHealth(url) for url in replicas]
        self.pools = [ConnectionPool(url, min_size=0, max_size=pool_max_size, open=False,
                                     kwargs={"options": CONNECT_OPTIONS, "connect_timeout": 2},
                                     check=ConnectionPool.check_connection) for url in replicas]
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._checker: threading.Thread | None = None

    def open(self) -> ReadRouter:
        for pool in self.pools:
            pool.open(wait=False)
        if self.pools:
            self.check_now()
            self._checker = threading.Thread(target=self._check_loop, name="replica-check", daemon=True)
            self._checker.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._checker is not None:
            self._checker.join(5)
        for pool in self.pools:
            pool.close()

    # ---- health -------------------------------------------------------------------------------
    def _check_loop(self) -> None:
        while not self._stop.wait(self.check_every_s):
            self.check_now()

    def check_now(self) -> None:
        """Measure every replica's replay position and lag against the primary now."""
        try:
            with self.primary.connection(timeout=5) as conn:
                primary_lsn = lsn_value(conn.execute(PRIMARY_LSN).fetchone()[0])  # type: ignore[index]
        except (psycopg.Error, PoolTimeout) as exc:
            log.warning("primary unreachable for the replica check: %s", exc)
            return
        for health in self.health:
            try:
                with psycopg.connect(health.url, connect_timeout=2, autocommit=True) as conn:
                    recovering, replayed, age = conn.execute(REPLICA_STATE).fetchone()  # type: ignore[misc]
            except psycopg.Error as exc:
                health.up, health.error, health.lag_s = False, str(exc).strip()[:200], None
            else:
                health.replayed_lsn = lsn_value(replayed)
                caught_up = health.replayed_lsn >= primary_lsn
                health.lag_s = 0.0 if caught_up else float(age) if age is not None else None
                health.up, health.error = bool(recovering), None if recovering else "not a standby (promoted?)"
            health.checked_at = time.monotonic()

    def usable(self, health: ReplicaHealth, after_lsn: int = 0) -> bool:
        if not health.up or health.lag_s is None or health.lag_s > self.max_lag_s:
            return False
        return health.replayed_lsn >= after_lsn

    # ---- routing ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def read_connection(self, after_lsn: int = 0) -> Iterator[tuple[psycopg.Connection[Any], str]]:
        """Yield ``(connection, "replica" | "primary")`` for a read that needs writes up to ``after_lsn``."""
        order = list(range(len(self.pools)))
        if order:
            start = next(self._turn) % len(order)
            order = order[start:] + order[:start]
        for index in order:
            health = self.health[index]
            if not self.usable(health, after_lsn):
                continue
            stack = contextlib.ExitStack()
            try:
                conn = stack.enter_context(self.pools[index].connection(timeout=self.checkout_timeout_s))
            except (psycopg.Error, PoolTimeout) as exc:
                health.up, health.error = False, f"checkout failed: {exc}"[:200]
                log.warning("replica %d unavailable, reading from the primary: %s", index, exc)
                continue
            with stack:
                conn.autocommit = True
                yield conn, "replica"
            return
        with self.primary.connection() as conn:
            conn.autocommit = True
            yield conn, "primary"

    def primary_lsn(self) -> str:
        """The primary's WAL position now (what a read-your-own-writes read must wait for)."""
        with self.primary.connection() as conn:
            return str(conn.execute(PRIMARY_LSN).fetchone()[0])  # type: ignore[index]

    def status(self) -> list[dict[str, Any]]:
        return [{"replica": i, "up": h.up, "lag_s": h.lag_s, "error": h.error} for i, h in enumerate(self.health)]
