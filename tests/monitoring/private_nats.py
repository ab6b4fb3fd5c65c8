"""A private NATS server with its MQTT listener (JetStream-backed sessions), for broker-engine tests.

Started by the test on free ports in its own folder, stopped and restarted by it; never port 1883.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from envpetition.servers import free_port


def have_nats() -> bool:
    return shutil.which("nats-server") is not None


class PrivateNats:
    """``nats-server`` with ``mqtt { }`` on a free port; sessions and queues persist in ``folder``.

    ``ack_wait``: how long NATS waits for a PUBACK before it redelivers a QoS 1 message (also to a
    connected client); the worker's primary key absorbs such redeliveries.
    """

    def __init__(self, folder: Path, ack_wait_s: int = 10) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.client_port, self.http_port = free_port(), free_port(), free_port()
        self.conf_path = folder / "nats.conf"
        self.conf_path.write_text(f"""
listen: 127.0.0.1:{self.client_port}
http: 127.0.0.1:{self.http_port}
server_name: envp_test_{self.port}
jetstream {{ store_dir: "{folder / 'js'}" }}
mqtt {{ listen: 127.0.0.1:{self.port}, ack_wait: "{ack_wait_s}s", max_ack_pending: 5000 }}
""")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> PrivateNats:
        log = open(self.folder / "nats.log", "ab")  # noqa: SIM115 - the server process owns it
        self.process = subprocess.Popen(["nats-server", "-c", str(self.conf_path)], stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"nats-server exited: {(self.folder / 'nats.log').read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError("private nats-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.process = None

    def has_client(self, client_id: str) -> bool:
        """Is an MQTT client with this id connected (the server's /connz monitoring endpoint)?"""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/connz?limit=1024", timeout=2) as response:
            connections = json.load(response).get("connections") or []
        return any(c.get("mqtt_client") == client_id for c in connections)
