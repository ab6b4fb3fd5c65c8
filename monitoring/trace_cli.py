"""``envpetition trace incident|case ID [--json]`` and ``envpetition trace record``."""

from __future__ import annotations

from typing import Any

import click

from envpetition.cli_output import domain_errors, echo_json
from envpetition.settings import Settings


def _print(trace: dict[str, Any], as_json: bool, top: int) -> None:
    if as_json:
        echo_json(trace)
        return
    inc = trace.get("incident")
    if inc:
        click.echo(f"事件 incident {inc['id']}: {inc['size']} complaints, {inc['started_at']:%Y-%m-%d %H:%M} – "
                   f"{inc['ended_at']:%m-%d %H:%M}")
    wind = trace["wind"]
    click.echo(f"风 wind: from {wind.get('from_deg')}°, {wind.get('speed_ms')} m/s "
               f"({trace['candidates_considered']} candidates within reach, {trace['computed_ms']} ms)")
    for c in trace["candidates"][:top]:
        click.echo(f"{c['rank']:>2}. {c['name']} ({c['industry'] or '?'}, {c['median_distance_km']} km)  "
                   f"score {c['score']:+.2f}")
        for t in c["terms"]:
            click.echo(f"      {t['key']:<9} {t['llr']:+6.2f}  {t['zh']}")


@click.group("trace")
def trace_group() -> None:
    """Source attribution (溯源): rank the enterprises that could have caused an incident."""


@trace_group.command("incident")
@click.argument("incident_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="print the whole trace as JSON (what the API returns)")
@click.option("--top", default=5, show_default=True)
@click.pass_obj
@domain_errors
def trace_incident(settings: Settings, incident_id: int, as_json: bool, top: int) -> None:
    """Trace an incident."""
    from envpetition.runtime import ready_connection
    from monitoring.trace_service import incident_trace

    with ready_connection(settings) as conn:
        trace = incident_trace(conn, incident_id)
    _print(trace, as_json, top)


@trace_group.command("case")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="print the whole trace as JSON (what the API returns)")
@click.option("--top", default=5, show_default=True)
@click.pass_obj
@domain_errors
def trace_case(settings: Settings, case_id: int, as_json: bool, top: int) -> None:
    """Trace a case (its incident, or the case alone)."""
    from envpetition.runtime import ready_connection
    from monitoring.trace_service import case_trace

    with ready_connection(settings) as conn:
        trace = case_trace(conn, case_id)
    _print(trace, as_json, top)


@trace_group.command("record")
@click.argument("incident_id", type=int)
@click.option("--outcome", type=click.Choice(["enterprise", "other", "none"]), required=True)
@click.option("--enterprise-id", type=int, default=None)
@click.option("--note", default=None)
@click.option("--actor", default="operator", show_default=True)
@click.pass_obj
@domain_errors
def trace_record(settings: Settings, incident_id: int, outcome: str, enterprise_id: int | None, note: str | None,
                 actor: str) -> None:
    """Record what the investigation of an incident found (the trace's ranking now is kept with it)."""
    from envpetition.runtime import local_now, ready_connection
    from monitoring.incident_store import record_investigation
    from monitoring.trace_service import incident_trace

    with ready_connection(settings) as conn:
        ranking = [c["enterprise_id"] for c in incident_trace(conn, incident_id)["candidates"]]
        record_investigation(conn, incident_id, outcome=outcome, enterprise_id=enterprise_id, note=note,
                             actor=actor, now=local_now(), trace_ranking=ranking)
    click.echo(f"incident {incident_id}: {outcome} recorded")
