"""Connections and the pool. Convention: rows are tuples; a repository that wants dicts opens
``conn.cursor(row_factory=dict_row)``. Every session runs in Asia/Shanghai so dates print as the bureau reads them."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from envpetition import LOCAL_TZ_NAME

CONNECT_OPTIONS = f"-c TimeZone={LOCAL_TZ_NAME}"


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Open one connection (CLI commands, workers). Rows are tuples; ask a cursor for dicts."""
    return psycopg.connect(url, autocommit=autocommit, options=CONNECT_OPTIONS)


def create_pool(url: str, *, min_size: int = 1, max_size: int = 8) -> ConnectionPool:
    """Open a pool of connections like ``connect`` gives (the web app)."""
    pool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"options": CONNECT_OPTIONS},
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool
