"""Commands: ``envpetition hotspots`` and the ``envpetition bulletin`` group (wired by envpetition/cli.py)."""

from __future__ import annotations

import json
import time

import click

from analytics.filters import CATEGORY_GROUPS, CHANNEL_LABELS, HotspotFilter
from analytics.hotspots import HotspotSettings, hotspot_statistics
from analytics.periods import parse_period
from envpetition.runtime import local_now, ready_connection
from envpetition.settings import Settings


@click.command("hotspots")
@click.option("--period", required=True, help="2026-09, 2026-W37 or 2026-Q3")
@click.option("--group", type=click.Choice(sorted(CATEGORY_GROUPS)), default=None, help="category group")
@click.option("--district", "district_id", type=int, default=None, help="district area id")
@click.option("--channel", type=click.Choice(sorted(CHANNEL_LABELS)), default=None)
@click.option("--months", type=int, default=HotspotSettings.months, show_default=True,
              help="time steps (months) for the emerging-hotspot classes")
@click.option("--json", "as_json", is_flag=True, help="print every figure as JSON")
@click.pass_obj
def hotspots(settings: Settings, period: str, group: str | None, district_id: int | None, channel: str | None,
             months: int, as_json: bool) -> None:
    """Hotspot statistics per community and grid cell (rates, Gi*, emerging classes, repeat lists)."""
    try:
        flt = HotspotFilter.parse(period, group, district_id, channel)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    with ready_connection(settings) as conn:
        stats = hotspot_statistics(conn, flt, HotspotSettings(months=months))
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, default=str))
        return
    click.echo(f"{flt.period.label}: {stats['summary']['complaints']} complaints in {stats['summary']['communities']} communities")
    for row in stats["communities"][:15]:
        click.echo(f"{row['rank']:>3} {row['name']:<10} n={row['complaints']:<4} EB rate={row['eb_rate']} "
                   f"Gi* z={row['gi_z']:+.2f} {row['gi_label']} · {row['pattern_label']}")


@click.group("bulletin")
def bulletin() -> None:
    """Bulletins (通报): weekly, monthly, quarterly; the schedule that issues them."""


def _build(settings: Settings, key: str, out: str, store: bool) -> None:
    from analytics.bulletin.render import build_bulletin
    from analytics.bulletin.store import save_bulletin

    try:
        period = parse_period(key)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    started = time.perf_counter()
    with ready_connection(settings) as conn:
        now = local_now()
        built = build_bulletin(conn, period, now=now)
        issued = save_bulletin(conn, built, issued_at=now, trigger="cli") if store else None
    paths = built.write(out)
    click.echo(json.dumps({"period": period.key, "files": [str(p) for p in paths], "stored_id": issued,
                           "seconds": round(time.perf_counter() - started, 2), "steps": built.seconds}, ensure_ascii=False))


for _kind, _option in (("weekly", "--week"), ("monthly", "--month"), ("quarterly", "--quarter")):
    def _make(kind: str, option: str) -> None:
        @bulletin.command(kind)
        @click.option(option, "key", required=True, help={"weekly": "2026-W37", "monthly": "2026-09",
                                                            "quarterly": "2026-Q3"}[kind])
        @click.option("--out", type=click.Path(file_okay=False), default=".", show_default=True)
        @click.option("--store/--no-store", default=True, show_default=True, help="keep it in the bulletin archive")
        @click.pass_obj
        def command(settings: Settings, key: str, out: str, store: bool) -> None:
            _build(settings, key, out, store)

        command.__doc__ = f"Write the {kind} bulletin (.docx, .xlsx, .html) into OUT."
    _make(_kind, _option)


def _schedule(settings: Settings, every: float) -> None:
    from analytics.bulletin.schedule import run_schedule

    with ready_connection(settings) as conn:
        while True:
            issued = run_schedule(conn, now=local_now())
            click.echo(json.dumps({"issued": issued}, ensure_ascii=False))
            if not every:
                break
            time.sleep(every)


@bulletin.command("schedule")
@click.option("--every", type=float, default=0, help="seconds between runs; 0 runs once")
@click.pass_obj
def bulletin_schedule(settings: Settings, every: float) -> None:
    """Issue every bulletin that is due (weekly on Monday morning, monthly on the 1st)."""
    _schedule(settings, every)


@click.command("bulletins")
@click.option("--every", type=float, default=600, show_default=True, help="seconds between runs")
@click.pass_obj
def bulletins_worker(settings: Settings, every: float) -> None:
    """The bulletin schedule as a worker: issue what is due, then every EVERY seconds again."""
    _schedule(settings, every)


@bulletin.command("list")
@click.pass_obj
def bulletin_list(settings: Settings) -> None:
    """The bulletins issued so far."""
    from analytics.bulletin.store import list_bulletins

    with ready_connection(settings) as conn:
        for row in list_bulletins(conn):
            click.echo(json.dumps(row, ensure_ascii=False, default=str))


COMMANDS = (hotspots, bulletin)
WORKERS = {"bulletins": bulletins_worker}
