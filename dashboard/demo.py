"""The main job: the whole pipeline on the sample city, served on http://127.0.0.1:8000.

``envpetition demo --smoke`` runs the same steps, checks each one end to end and exits 0, or 1 with
the list of what failed. Lives in dashboard/ because it wires every package together.

The sample complaints span August–October 2026. They are imported as history (each case registered
when it was received); a demo clock then walks from the first complaint on, letting the teams move
cases on (dispatch.demo) and the escalation scanner fire, so the boards show real histories.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from tqdm import tqdm

from dashboard.app import create_app
from dashboard.queries import table_counts
from dashboard.server import BackgroundServer
from dispatch import views as dispatch_views
from envpetition import auth, calendar
from envpetition import views as core_views
from envpetition.db import connect
from envpetition.localtime import LOCAL_TZ
from envpetition.runtime import local_now, ready_services, set_demo_clock
from envpetition.servers import Services, free_port
from envpetition.settings import Settings
from monitoring.queries import reading_stored

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
DEMO_PASSWORD = "envpetition-demo"
DEMO_USERS = [  # (username, role, display name)
    ("intake", "intake", "受理坐席 王敏"),
    ("team1", "team_member", "执法一队 李强"),
    ("chief", "section_chief", "执法科 科长 陈刚"),
    ("deputy", "deputy_director", "分管副局长 赵磊"),
    ("director", "director", "局长 周明"),
    ("monitor", "monitoring", "监测站 孙丽"),
    ("admin", "admin", "系统管理员"),
]
SMOKE_REPLAY_LIMIT = 400  # messages: enough to prove the path, quick on the embedded broker
SIMULATED_STEP = timedelta(hours=1)
SMOKE_STEP = timedelta(hours=6)
SIMULATED_TAIL = timedelta(days=2)  # the demo clock runs this far past the last complaint
PROACTIVE_TAIL = timedelta(days=3)  # and this far again once the sensor replay has opened its cases
LIVE_EVERY = timedelta(seconds=30)
DEMO_WORKER_ID = "envpetition-demo-ingest"  # fixed: a restarted demo resumes its persistent session


@dataclass
class Report:
    """What each step did and what failed; printed as it goes."""

    failures: list[str] = field(default_factory=list)

    def step(self, name: str, detail: Any) -> None:
        print(f"  ✔ {name}: {detail}", flush=True)

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.step("check", what)
        else:
            self.failures.append(what)
            print(f"  ✘ {what}", flush=True)


def seed_demo_users(conn: Any, teams: dict[str, int]) -> None:
    """One account per role, all with the demo password; the team member joins the first team."""
    for username, role, name in DEMO_USERS:
        team_id = next(iter(teams.values()), None) if role == "team_member" else None
        auth.create_user(conn, username, DEMO_PASSWORD, role, display_name=name, team_id=team_id)


def _print_logins(port: int) -> None:
    print(f"\n  Dashboard  http://127.0.0.1:{port}/      API docs  http://127.0.0.1:{port}/docs")
    print(f"  Logins (password for all: {DEMO_PASSWORD}):")
    for username, role, name in DEMO_USERS:
        print(f"    {username:<9} {auth.ROLE_LABELS[role]:<6} ({role}) {name}")


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def prepare_city(services: Services, report: Report) -> None:
    """Calendar, areas, teams, one user per role, sensors."""
    from ingest.sample import load_sample_areas
    from monitoring.sensors import load_sensors_csv

    now = local_now()
    with connect(services.database_url, autocommit=True) as conn:
        report.step("working calendar", calendar.seed_calendar(conn, range(now.year - 1, now.year + 2)))
        areas = load_sample_areas(conn, SAMPLE_DIR, now=now)
        report.step("areas and teams", {k: v.get("created", v) if isinstance(v, dict) else v for k, v in areas.items()})
        teams = core_views.team_ids(conn)
        seed_demo_users(conn, teams)
        report.step("users", f"{len(DEMO_USERS)} demo accounts, one per role")
        report.step("sensors", load_sensors_csv(conn, SAMPLE_DIR / "sensors" / "sensors.csv"))


def start_streaming(services: Services, settings: Settings, report: Report, *, speed: float,
                    replay_limit: int | None, smoke: bool) -> tuple[Any, threading.Thread]:
    """The MQTT ingest worker, and the sample sensor files replayed to it on an accelerated clock."""
    from monitoring.replay import replay
    from monitoring.worker import IngestWorker, WorkerConfig

    config = WorkerConfig(topic_prefix=settings.topic_prefix, client_id=DEMO_WORKER_ID, analyse_every_s=10)
    if services.embedded_broker:  # amqtt speaks MQTT 3.1.1 only and has no shared subscriptions
        config.protocol, config.share_group = "3.1.1", None
    if smoke:  # a one-off check: its own client and no session left behind on a shared broker
        config.client_id, config.share_group, config.session_expiry_s = f"{DEMO_WORKER_ID}-smoke-{uuid.uuid4().hex[:6]}", None, 0
    worker = IngestWorker(services.database_url, services.mqtt_url, config)
    worker.start()
    report.step("MQTT ingest worker", f"subscribed on {services.mqtt_url}")

    def run_replay() -> None:
        try:
            sent = replay(SAMPLE_DIR / "sensors", services.mqtt_url, speed=speed, topic_prefix=settings.topic_prefix,
                          limit=replay_limit)
            print(f"  ✔ sensor replay finished: {sent} messages published", flush=True)
        except Exception:
            log.exception("sensor replay stopped")

    thread = threading.Thread(target=run_replay, name="sensor-replay", daemon=True)
    thread.start()
    report.step("sensor replay over MQTT", "started" + (f" (first {replay_limit} messages)" if replay_limit else ""))
    return worker, thread


def import_complaints(services: Services, report: Report) -> None:
    """Every sample channel in, as a history import: each case registered when it was received."""
    from ingest.sample import import_sample_complaints

    with connect(services.database_url, autocommit=True) as conn, \
            tqdm(desc="  complaints", unit=" rows", leave=False, disable=None) as bar:

        def progress(_file: str, done: int, total: int) -> None:
            bar.update(done - bar.n)

        summary = import_sample_complaints(conn, SAMPLE_DIR, now=local_now(), backfill=True, progress=progress)
    report.step("complaints", json.dumps(summary["total"], ensure_ascii=False))
    group_incidents(services, report)


def group_incidents(services: Services, report: Report) -> None:
    """Air complaints into incidents: ingest's reader handed to monitoring's clustering."""
    from ingest.views import air_complaints_after
    from monitoring.incident_store import sync

    with connect(services.database_url, autocommit=True) as conn:
        counts = sync(conn, air_complaints_after, now=local_now())
    report.step("incidents", json.dumps(counts))


def simulate_handling(conn: Any, start: datetime, end: datetime, step: timedelta,
                      stop: threading.Event | None = None) -> dict[str, int]:
    """Walk the demo clock from ``start`` to ``end``: teams move cases on, the scanner escalates."""
    from dispatch.demo import progress_cases
    from dispatch.escalation import scan

    totals: dict[str, int] = {}
    moment = start
    with tqdm(total=int((end - start) / step), desc="  demo clock", unit=" steps", leave=False, disable=None) as bar:
        while moment <= end and not (stop and stop.is_set()):
            for key, n in progress_cases(conn, now=moment).items():
                totals[key] = totals.get(key, 0) + n
            totals["escalation_steps"] = totals.get("escalation_steps", 0) + int(scan(conn, now=moment)["fired"])
            moment += step
            bar.update()
    return totals


class DemoClock(threading.Thread):
    """Replays case handling from the first complaint on, then keeps the live duties going.

    Live duties, every ``LIVE_EVERY``: the escalation scan on the real clock, and the dispatcher
    (orders over MQTT to the teams' topics, notices through the outbox).
    """

    def __init__(self, services: Services, settings: Settings, step: timedelta,
                 sensor_replay: threading.Thread | None = None) -> None:
        super().__init__(name="demo-clock", daemon=True)
        self.services, self.settings, self.step = services, settings, step
        self.sensor_replay = sensor_replay
        self.stop_event = threading.Event()

    def history_span(self, conn: Any) -> tuple[datetime, datetime] | None:
        """From the first complaint to a little after the last one (never past the real now)."""
        span = dispatch_views.opened_span(conn)
        return None if span is None else (span[0], min(span[1] + SIMULATED_TAIL, local_now()))

    def replay_history(self, conn: Any) -> dict[str, int]:
        span = self.history_span(conn)
        return simulate_handling(conn, *span, self.step, self.stop_event) if span else {}

    def run(self) -> None:
        from dispatch.dispatcher import run_once
        from dispatch.escalation import scan
        from dispatch.outbox import RecordingGateway
        from envpetition.mqtt import connect as mqtt_connect

        try:
            with connect(self.services.database_url, autocommit=True) as conn:
                print(f"  ✔ case handling on the demo clock: {json.dumps(self.replay_history(conn))}", flush=True)
                if self.sensor_replay is not None:
                    # Exceedances found in the replayed readings open proactive cases as the readings
                    # arrive, i.e. at the demo clock's time: once the replay is done, walk on a few days
                    # so the teams handle those too, and let the app's clock continue from there.
                    self.sensor_replay.join()
                    start = local_now()
                    handled = simulate_handling(conn, start, start + PROACTIVE_TAIL, self.step, self.stop_event)
                    set_demo_clock(start + PROACTIVE_TAIL)
                    print(f"  ✔ proactive cases handled; demo clock now {local_now():%Y-%m-%d %H:%M}: "
                          f"{json.dumps(handled)}", flush=True)
                client = mqtt_connect(self.services.mqtt_url)
                gateway = RecordingGateway()
                while not self.stop_event.wait(LIVE_EVERY.total_seconds()):
                    scan(conn, now=local_now())
                    run_once(conn, client, gateway, now=local_now(), topic_prefix=self.settings.topic_prefix)
                client.loop_stop()
                client.disconnect()
        except Exception:
            log.exception("demo clock stopped")


def smoke_checks(services: Services, settings: Settings, report: Report) -> None:
    """Rows in each table, a reading over MQTT into the database, the page and the API served."""
    from monitoring.publish import Publisher

    with connect(services.database_url, autocommit=True) as conn:
        counts = table_counts(conn)
    for table, n in counts.items():
        report.check(n > 0, f"table {table} has rows ({n})")

    marker = datetime(2020, 1, 1, 0, 0, tzinfo=LOCAL_TZ)  # a time the sample data never uses
    with Publisher(services.mqtt_url) as pub:
        pub.publish(f"{settings.topic_prefix}/sensors/SMOKE-0001/readings",
                    json.dumps({"ts": marker.isoformat(), "pollutant": "a21001", "value": 4.2, "flag": "N"}))
        pub.flush()

    def arrived() -> bool:
        with connect(services.database_url) as c:
            return reading_stored(c, "SMOKE-0001", marker)

    report.check(_wait_for(arrived, 30), "a reading published over MQTT arrived in the database")

    port = free_port()
    with BackgroundServer(create_app(settings, services), port), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        login = http.post("/api/login", data={"username": "director", "password": DEMO_PASSWORD})
        report.check(login.status_code == 200, f"login as director ({login.status_code})")
        page = http.get("/")
        report.check(page.status_code == 200 and "热点" in page.text, f"dashboard page served ({page.status_code})")
        cases = http.get("/api/cases", params={"limit": 5})
        report.check(cases.status_code == 200 and len(cases.json()) > 0, f"API /api/cases served ({cases.status_code})")
        js = http.get("/assets/plotly.min.js")
        report.check(js.status_code == 200 and len(js.content) > 1_000_000, "plotly.js served by the app itself")
        report.check(http.get("/openapi.json").status_code == 200, "OpenAPI served at /openapi.json (/docs)")


def run_demo(settings: Settings, *, smoke: bool, port: int | None, speed: float) -> int:
    """The main job; returns the process exit code."""
    report = Report()
    print("EnvPetition demo" + (" (smoke)" if smoke else ""), flush=True)
    with ready_services(settings) as services:
        report.step("database", f"embedded PostgreSQL in {settings.embedded_pg_dir}"
                    if services.embedded_database else "DATABASE_URL")
        report.step("broker", ("embedded amqtt on " if services.embedded_broker else "MQTT_URL ") + services.mqtt_url)
        worker, clock = None, None
        try:
            prepare_city(services, report)
            if smoke:  # a topic tree of this run's own: nothing else on a shared broker hears or answers it
                settings = settings.model_copy(update={"topic_prefix": f"envpetition-smoke/{uuid.uuid4().hex[:8]}/v1"})
            worker, replay = start_streaming(services, settings, report, speed=speed,
                                             replay_limit=SMOKE_REPLAY_LIMIT if smoke else None, smoke=smoke)
            import_complaints(services, report)
            clock = DemoClock(services, settings, SMOKE_STEP if smoke else SIMULATED_STEP, replay)
            if smoke:
                with connect(services.database_url, autocommit=True) as conn:
                    report.step("case handling on the demo clock", json.dumps(clock.replay_history(conn)))
                replay.join(120)
                smoke_checks(services, settings, report)
            else:
                with connect(services.database_url) as conn:
                    span = clock.history_span(conn)
                if span:  # pages, the scanner and new complaints live at the end of the sample period
                    set_demo_clock(span[1])
                    print(f"  demo clock: {span[1]:%Y-%m-%d %H:%M} (the sample ends there; it runs on from it)")
                clock.start()
                _print_logins(port or settings.http_port)
                print("  (cases are handled on the demo clock in the background; the sensor replay goes on)\n",
                      flush=True)
                uvicorn.run(create_app(settings, services), host=settings.http_host,
                            port=port or settings.http_port, log_level="warning")
        except Exception as exc:
            log.exception("demo failed")
            report.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            if clock is not None:
                clock.stop_event.set()
            if worker is not None:
                worker.stop()
    if report.failures:
        print(f"\nFAILED ({len(report.failures)}):\n  " + "\n  ".join(report.failures), flush=True)
        return 1
    print("\nsmoke OK" if smoke else "bye", flush=True)
    return 0
