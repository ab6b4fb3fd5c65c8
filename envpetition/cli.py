"""The ``envpetition`` command. The only core module that wires the four packages together."""

from __future__ import annotations

import sys

import click

from envpetition import auth, calendar
from envpetition.cli_output import echo_json
from envpetition.runtime import configure_logging, local_now, ready_connection, ready_services
from envpetition.settings import Settings


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """EnvPetition: environmental complaints in, dispatched, escalated, answered."""
    settings = Settings()
    configure_logging(settings)
    ctx.obj = settings


@main.command()
@click.pass_obj
def migrate(settings: Settings) -> None:
    """Apply pending database migrations."""
    from envpetition.db import connect
    from envpetition.migrate import migrate as run_migrations

    with ready_services(settings) as services, connect(services.database_url, autocommit=True) as conn:
        applied = run_migrations(conn)
        rows = conn.execute("select version, name from schema_migrations order by version").fetchall()
    click.echo(f"applied now: {applied or 'none'}; schema at {rows[-1][0]} ({len(rows)} migrations)")


@main.group()
def users() -> None:
    """Accounts and roles."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default=None)
@click.pass_obj
def users_add(settings: Settings, username: str, role: str, password: str, display_name: str | None) -> None:
    """Create an account (or reset its password and role)."""
    with ready_connection(settings) as conn:
        user_id = auth.create_user(conn, username, password, role, display_name=display_name)
    click.echo(f"user {username} ({role}) id={user_id}")


@main.group("calendar")
def calendar_group() -> None:
    """The working calendar (working days, holidays, adjusted working weekends)."""


@calendar_group.command("seed")
@click.argument("years", nargs=-1, type=int)
@click.pass_obj
def calendar_seed(settings: Settings, years: tuple[int, ...]) -> None:
    """Seed YEARS (default: last, this and next year) from chinesecalendar."""
    this_year = local_now().year
    with ready_connection(settings) as conn:
        result = calendar.seed_calendar(conn, years or (this_year - 1, this_year, this_year + 1))
    echo_json(result)


@calendar_group.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--holiday", required=True)
@click.option("--note", default=None)
@click.pass_obj
def calendar_set(settings: Settings, day: object, workday: bool, note: str | None) -> None:
    """Mark one DAY (YYYY-MM-DD) as a working day or a holiday (admin edit, kept on re-seed)."""
    with ready_connection(settings) as conn:
        calendar.set_day(conn, day.date(), workday, note)  # type: ignore[attr-defined]
    click.echo("ok")


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the dashboard and the API (no sample data, no replay)."""
    import uvicorn

    from dashboard.app import create_app

    with ready_services(settings) as services:
        app = create_app(settings, services)
        uvicorn.run(app, host=host or settings.http_host, port=port or settings.http_port, log_level="warning")


@main.command()
@click.option("--smoke", is_flag=True, help="Run the pipeline, check it end to end, exit 0 or 1.")
@click.option("--port", type=int, default=None)
@click.option("--speed", type=float, default=86400.0, show_default=True,
              help="Sensor replay clock acceleration (86400: a day of readings per second).")
@click.pass_obj
def demo(settings: Settings, smoke: bool, port: int | None, speed: float) -> None:
    """Migrate, load the sample city, stream the sensors over MQTT, dispatch the complaints, serve."""
    from dashboard.demo import run_demo

    sys.exit(run_demo(settings, smoke=smoke, port=port, speed=speed))


@main.group()
def incidents() -> None:
    """Incidents: air complaints grouped in space and time (traced with ``envpetition trace``)."""


@incidents.command("sync")
@click.pass_obj
def incidents_sync(settings: Settings) -> None:
    """Group new air complaints into incidents (ingest's complaints handed to monitoring's clustering)."""
    from ingest.views import air_complaints_after
    from monitoring.incident_store import sync

    with ready_connection(settings) as conn:
        counts = sync(conn, air_complaints_after, now=local_now())
    echo_json(counts)


@main.group()
def workers() -> None:
    """Long-running processes (each runs until stopped; run several for more throughput)."""


@workers.group("run")
def workers_run() -> None:
    """Run one worker: monitor (sensor readings in), dispatcher (orders out), escalation (clock scanner)."""


def _register_package_commands() -> None:
    from dispatch import cli as dispatch_cli
    from ingest import cli as ingest_cli
    from monitoring import cli as monitoring_cli

    for command in (*ingest_cli.COMMANDS, *monitoring_cli.COMMANDS, *dispatch_cli.COMMANDS):
        main.add_command(command)
    for name, worker in {**monitoring_cli.WORKERS, **dispatch_cli.WORKERS}.items():
        workers_run.add_command(worker, name)


_register_package_commands()
