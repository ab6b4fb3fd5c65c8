"""Apply the numbered SQL files in ``envpetition/migrations`` in order, once each.

Safe when several processes start at once: the whole run holds a transaction-level advisory lock,
so a second process waits, then finds everything applied.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg

MIGRATION_LOCK_ID = 7_212_369  # arbitrary, constant: the advisory lock that serialises migrators

CREATE_TABLE = """
create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    applied_at timestamptz not null default now()
)
"""


def migration_files() -> list[tuple[str, str, str]]:
    """Return (version, name, sql) for every migration, ordered by version."""
    folder = resources.files("envpetition") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append((version, rest.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {sorted(versions)}")
    return sorted(found)


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    applied_now = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
        conn.execute(CREATE_TABLE)
        done = {row[0] for row in conn.execute("select version from schema_migrations").fetchall()}
        for version, name, sql in migration_files():
            if version in done:
                continue
            conn.execute(sql.encode())  # bytes: run as one simple-protocol script
            conn.execute("insert into schema_migrations (version, name) values (%s, %s)", (version, name))
            applied_now.append(version)
    return applied_now
