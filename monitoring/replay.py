"""Replay ``sample_data/sensors`` onto the broker on an accelerated clock (demo and soak tests).

HJ 212 packets go raw to ``{prefix}/sensors/{sensor_id}/readings`` (MN → id from sensors.csv);
walk-navigation rows go as JSON with their GCJ-02 position. Everything is merged in event-time
order; the clock runs ``speed`` times faster than real time and never sleeps more than
``max_sleep_s`` at once, so the gaps between the sample windows do not stall a demo.
"""

from __future__ import annotations

import csv
import glob
import gzip
import heapq
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from envpetition.localtime import LOCAL_TZ
from monitoring.publish import Publisher

Event = tuple[datetime, str, bytes]  # (event time, sensor id, payload)
WALKNAV_COLUMNS = {"voc": "a24088", "odour": "a99990", "pm25": "a34004", "pm10": "a34002"}


def _mn_map(folder: Path) -> dict[str, str]:
    with open(folder / "sensors.csv", encoding="utf-8-sig", newline="") as handle:
        return {row["mn"]: row["sensor_id"] for row in csv.DictReader(handle) if row.get("mn")}


def _hj212_events(path: Path, mns: dict[str, str], interval: timedelta) -> Iterator[Event]:
    with gzip.open(path, "rb") as handle:
        for line in handle:
            packet = line.rstrip(b"\r\n")
            mn_start = packet.find(b"MN=") + 3
            mn = packet[mn_start:packet.find(b";", mn_start)].decode()
            dt_start = packet.find(b"DataTime=") + 9
            data_time = datetime.strptime(packet[dt_start:dt_start + 14].decode(), "%Y%m%d%H%M%S").replace(tzinfo=LOCAL_TZ)
            # Sent when the interval has ended.
            yield data_time + interval, mns.get(mn, mn), packet + b"\r\n"


def _walknav_events(path: Path) -> Iterator[Event]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            ts = datetime.fromisoformat(row["ts"])
            values = {code: float(row[col]) for col, code in WALKNAV_COLUMNS.items() if row.get(col, "") != ""}
            body = {"ts": row["ts"], "lon": float(row["lon"]), "lat": float(row["lat"]), "crs": row.get("crs") or "WGS84",
                    "values": values}
            yield ts, row["sensor_id"], json.dumps(body).encode()


def events(folder: str | Path, *, include: tuple[str, ...] = ("minutes", "hours", "walknav")) -> Iterator[Event]:
    """Every message of the folder, merged in event-time order."""
    root = Path(folder)
    mns = _mn_map(root)
    streams: list[Iterator[Event]] = []
    if "minutes" in include and (root / "hj212_minutes.txt.gz").exists():
        streams.append(_hj212_events(root / "hj212_minutes.txt.gz", mns, timedelta(minutes=1)))
    if "hours" in include and (root / "hj212_hours.txt.gz").exists():
        streams.append(_hj212_events(root / "hj212_hours.txt.gz", mns, timedelta(hours=1)))
    if "walknav" in include:
        streams.extend(_walknav_events(Path(p)) for p in sorted(glob.glob(str(root / "walknav_run*.csv"))))
    return heapq.merge(*streams, key=lambda e: e[0])


def replay(
    folder: str | Path, mqtt_url: str, *, speed: float, topic_prefix: str, limit: int | None = None,
    since: datetime | None = None, until: datetime | None = None,
    include: tuple[str, ...] = ("minutes", "hours", "walknav"), max_sleep_s: float = 1.0,
) -> int:
    """Publish the folder's messages (QoS 1, every PUBACK awaited); return how many were published.

    ``speed`` is the clock acceleration (0 = as fast as the broker takes them). ``limit`` and the
    ``since``/``until`` window bound the replay, e.g. for the slow embedded broker.
    """
    published = 0
    previous: datetime | None = None
    with Publisher(mqtt_url) as pub:
        for moment, sensor, payload in events(folder, include=include):
            if since is not None and moment < since:
                continue
            if until is not None and moment >= until:
                break
            if limit is not None and published >= limit:
                break
            if speed > 0 and previous is not None and moment > previous:
                time.sleep(min((moment - previous).total_seconds() / speed, max_sleep_s))
            previous = moment
            pub.publish(f"{topic_prefix}/sensors/{sensor}/readings", payload)
            published += 1
    return published
