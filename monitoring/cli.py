"""Commands this package adds to ``envpetition`` (registered by envpetition/cli.py)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import BinaryIO

import click

from envpetition.cli_output import echo_json
from envpetition.settings import Settings
from monitoring.storage_cli import storage_group


@click.group("hj212")
def hj212_group() -> None:
    """HJ 212-2017 packets (online monitoring data transmission)."""


@hj212_group.command("parse")
@click.argument("source", default="-", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line.")
def hj212_parse(source: BinaryIO, as_json: bool) -> None:
    """Parse packets from SOURCE (a file or - for stdin), one packet per line."""
    from monitoring.hj212 import parse_packet

    for raw in source:
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        packet = parse_packet(line)
        if as_json:
            echo_json(packet.as_json())
        else:
            state = "valid" if packet.valid else f"INVALID ({packet.error})"
            click.echo(f"{packet.mn} CN={packet.cn} {packet.data_time} crc={packet.crc} {state} "
                       f"{len(packet.values)} values")


@click.group("monitor")
def monitor_group() -> None:
    """Online monitoring: sensors, replay, exceedances, peaks (the worker: ``workers run monitor``)."""


@click.command("monitor")
@click.option("--client-id", default="envpetition-ingest-1", show_default=True,
              help="Fixed MQTT client id: the broker keeps this worker's session while it is away.")
@click.option("--share-group", default="ingest", show_default=True,
              help="Shared-subscription group ($share/GROUP/...); '' subscribes without sharing.")
@click.option("--batch-max", default=5000, show_default=True)
@click.option("--receive-maximum", default=5000, show_default=True, help="Unacknowledged messages in flight (MQTT 5).")
@click.option("--writers", type=click.IntRange(1, 8), default=2, show_default=True,
              help="Database connections storing batches at once.")
@click.option("--analyse-every", type=float, default=60.0, show_default=True,
              help="Seconds between exceedance / walk-navigation analyses (0: off).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Run this many worker processes (CLIENT_ID-1 ... -N) sharing the subscription.")
@click.option("--protocol", type=click.Choice(["auto", "5", "3.1.1"]), default="auto", show_default=True,
              help="MQTT version (auto: 5 when the broker speaks it).")
@click.pass_obj
def monitor_run(settings: Settings, client_id: str, share_group: str, batch_max: int, receive_maximum: int,
                writers: int, analyse_every: float, processes: int, protocol: str) -> None:
    """Run the ingest worker until SIGTERM / Ctrl-C."""
    from envpetition.runtime import ready_services
    from monitoring.worker import IngestWorker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if processes > 1:
        if not share_group:
            raise click.UsageError("--processes needs a --share-group: each message must go to one worker")
        if settings.mqtt_url is None:
            raise click.UsageError("--processes needs MQTT_URL: the workers must share one broker")
        _run_processes(client_id, share_group, [
            "--batch-max", str(batch_max), "--receive-maximum", str(receive_maximum), "--protocol", protocol,
            "--writers", str(writers),
        ], analyse_every, processes, stop)
        return
    with ready_services(settings) as services:
        worker = IngestWorker(services.database_url, services.mqtt_url, topic_prefix=settings.topic_prefix,
                              client_id=client_id, share_group=share_group or None, batch_max=batch_max,
                              receive_maximum=receive_maximum, writers=writers, analyse_every_s=analyse_every or None,
                              protocol=protocol)
        worker.run_until(stop)
    echo_json(worker.stats.as_dict(), err=True)


def _run_processes(client_id: str, share_group: str, options: list[str], analyse_every: float, processes: int,
                   stop: threading.Event) -> None:
    """Start one ``monitor run`` per process (only the first analyses) and stop them all on a signal."""
    import subprocess

    children = []
    for i in range(1, processes + 1):
        children.append(subprocess.Popen([
            sys.executable, "-m", "envpetition", "workers", "run", "monitor", "--client-id", f"{client_id}-{i}",
            "--share-group", share_group, *options, "--analyse-every", str(analyse_every if i == 1 else 0),
        ]))
    while not stop.wait(1):
        if any(child.poll() is not None for child in children):
            click.echo("a worker process exited; stopping the others", err=True)
            break
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        child.wait(30)


@monitor_group.command("load-sensors")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def monitor_load_sensors(settings: Settings, path: str) -> None:
    """Load or update the sensor registry from a CSV file."""
    from envpetition.runtime import ready_connection
    from monitoring.sensors import load_sensors_csv

    with ready_connection(settings) as conn:
        count = load_sensors_csv(conn, path)
    click.echo(f"{count} sensors loaded")


@monitor_group.command("replay")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--speed", default=600.0, show_default=True, help="Clock acceleration (600 = 10 min per second).")
@click.option("--limit", type=int, default=None, help="Publish at most this many messages.")
@click.pass_obj
def monitor_replay(settings: Settings, folder: str, speed: float, limit: int | None) -> None:
    """Publish FOLDER (sample_data/sensors) to the broker on an accelerated clock."""
    from envpetition.runtime import ready_services
    from monitoring.replay import replay

    with ready_services(settings) as services:
        count = replay(folder, services.mqtt_url, speed=speed, topic_prefix=settings.topic_prefix, limit=limit)
    click.echo(f"{count} messages published")


@monitor_group.command("exceedances")
@click.option("--hours", default=48, show_default=True, help="Evaluate this many hours back from --until.")
@click.option("--until", "until", default=None, help="End of the window (ISO 8601; default now).")
@click.option("--open-cases/--no-open-cases", default=True, show_default=True)
@click.pass_obj
def monitor_exceedances(settings: Settings, hours: int, until: str | None, open_cases: bool) -> None:
    """Find exceedances in the window, store events, open proactive cases near communities."""
    from datetime import datetime, timedelta

    from envpetition.localtime import as_local
    from envpetition.runtime import local_now, ready_connection
    from monitoring.exceedance_service import detect_and_record

    now = local_now()
    end = as_local(datetime.fromisoformat(until)) if until else now
    with ready_connection(settings) as conn:
        result = detect_and_record(conn, start=end - timedelta(hours=hours), end=end, now=now, open_cases=open_cases)
        result["events"] = len(result["events"])
    echo_json(result)


@monitor_group.command("peaks")
@click.option("--hours", default=24, show_default=True, help="Look this many hours back from now.")
@click.pass_obj
def monitor_peaks(settings: Settings, hours: int) -> None:
    """Find walk-navigation peaks and attach them to the nearest enterprise and community."""
    from datetime import timedelta

    from envpetition.runtime import local_now, ready_connection
    from monitoring.walknav import find_and_store_peaks

    now = local_now()
    with ready_connection(settings) as conn:
        peaks = find_and_store_peaks(conn, start=now - timedelta(hours=hours), end=now, now=now)
    for peak in peaks:
        echo_json(peak)
    click.echo(f"{len(peaks)} peaks", err=True)


from monitoring.trace_cli import trace_group  # noqa: E402

COMMANDS: list[click.Command] = [hj212_group, monitor_group, trace_group, storage_group]
# long-running processes, started as ``envpetition workers run NAME``
WORKERS: dict[str, click.Command] = {"monitor": monitor_run}
