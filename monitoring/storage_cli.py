"""``envpetition storage``: partitions, archive and status of the readings store."""

from __future__ import annotations

import json

import click

from envpetition.settings import Settings


@click.group("storage")
def storage_group() -> None:
    """Readings storage: daily partitions, Parquet archive, sizes (storage status / maintain / verify)."""


@storage_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
@click.option("--exact", is_flag=True, help="Count every partition's rows instead of the planner's estimate.")
@click.pass_obj
def storage_status_command(settings: Settings, as_json: bool, exact: bool) -> None:
    """Partitions, sizes, bytes per reading in PostgreSQL and in the archive."""
    from envpetition.runtime import ready_connection
    from monitoring.storage_status import format_status, storage_status

    with ready_connection(settings) as conn:
        status = storage_status(conn, exact=exact)
    click.echo(json.dumps(status, ensure_ascii=False) if as_json else format_status(status))


@storage_group.command("maintain")
@click.option("--retention-days", type=click.IntRange(1), default=None,
              help="Keep raw readings this many days (default: ENVPETITION_READINGS_RETENTION_DAYS, 400).")
@click.option("--days-ahead", type=click.IntRange(1, 90), default=7, show_default=True)
@click.pass_obj
def storage_maintain(settings: Settings, retention_days: int | None, days_ahead: int) -> None:
    """Create the coming days' partitions; archive to Parquet and drop the partitions past retention."""
    from envpetition.runtime import local_now, ready_connection
    from monitoring.archive import archive_aged_out
    from monitoring.partitions import ensure_partitions

    now = local_now()
    with ready_connection(settings) as conn:
        created = ensure_partitions(conn, now, days_ahead)
        archived = archive_aged_out(conn, settings.readings_archive_dir, now,
                                    retention_days or settings.readings_retention_days)
    click.echo(json.dumps({"created": created, "archived": [a.__dict__ for a in archived]}, ensure_ascii=False))


@storage_group.command("verify")
@click.pass_obj
def storage_verify(settings: Settings) -> None:
    """Re-read every archive file: present, checksum and row count as listed; exit 1 otherwise."""
    from envpetition.runtime import ready_connection
    from monitoring.archive import verify_archive

    with ready_connection(settings) as conn:
        problems = verify_archive(conn)
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"{len(problems)} problems")
    raise SystemExit(1 if problems else 0)
