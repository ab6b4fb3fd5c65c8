"""MQTT connection helpers shared by the monitoring worker, the replayer and dispatch orders."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_mqtt_url(url: str) -> BrokerAddress:
    """Parse ``mqtt://user:pass@host:port`` (``mqtts://`` for TLS)."""
    parts = urlparse(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp"):
        raise ValueError(f"MQTT_URL must start with mqtt:// or mqtts://, got {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def new_client(url: str, client_id: str = "", *, clean_session: bool = True) -> tuple[mqtt.Client, BrokerAddress]:
    """A paho 2 client (MQTT 3.1.1) configured for ``url``, not yet connected."""
    address = parse_mqtt_url(url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session if client_id else True,
        protocol=mqtt.MQTTv311,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    return client, address


def connect(url: str, client_id: str = "", *, clean_session: bool = True, keepalive: int = 30) -> mqtt.Client:
    """Connect a client and start its network loop thread."""
    client, address = new_client(url, client_id, clean_session=clean_session)
    client.connect(address.host, address.port, keepalive=keepalive)
    client.loop_start()
    return client
