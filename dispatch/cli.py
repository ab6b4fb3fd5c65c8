"""Commands this package adds to ``envpetition`` (registered by envpetition/cli.py).

Every write takes ``--actor`` (a name for the history) and ``--role`` (checked like the API does);
the CLI is the operator's tool on the server, so the role defaults to ``admin``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from dispatch import deadlines as rules
from envpetition.auth import ROLES
from envpetition.cli_output import domain_errors, echo_json
from envpetition.localtime import as_local
from envpetition.runtime import local_now, ready_connection
from envpetition.settings import Settings

ROLE_CHOICE = click.Choice([*ROLES, "system"])  # "system": the scanners' own actions


def _iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return as_local(datetime.fromisoformat(value))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from exc


def actor_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--role", type=ROLE_CHOICE, default="admin", show_default=True)(func)
    return click.option("--actor", default="operator", show_default=True, help="who acts (for the history)")(func)


@click.command("deadlines")
@click.option("--received", required=True, help="receipt time, ISO 8601 (no offset = local time)")
@click.option("--priority", type=click.Choice(rules.PRIORITIES), required=True)
@click.option("--investigated", default=None, help="on-site investigation time, ISO 8601 (adds reply, follow_up)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
@domain_errors
def deadlines_command(settings: Settings, received: str, priority: str, investigated: str | None, as_json: bool) -> None:
    """Print every clock's due time for a complaint received at RECEIVED (working calendar from the database)."""
    from dispatch.policy import calendar_around, load_policy

    start, inv = _iso(received), _iso(investigated)
    assert start is not None
    with ready_connection(settings) as conn:
        policy = load_policy(conn)
        calendar = calendar_around(conn, start, inv)
    clocks = rules.compute_clocks(policy, calendar, received=start, priority=priority, investigated=inv)
    out: dict[str, Any] = {"clocks": {kind: due.isoformat() for kind, (_, due) in clocks.items()},
           "close_extended": rules.extended_close_due(clocks["close"][1], policy).isoformat(),
           "priority": priority, "received": start.isoformat(), "policy_version": policy.version}
    if as_json:
        echo_json(out)
        return
    for kind, due in out["clocks"].items():
        click.echo(f"{kind:<10} {due}")


@click.group("case")
def case_group() -> None:
    """Cases: open, show, move through the lifecycle, escalate, pause, extend, supervise, vote."""


@case_group.command("open")
@click.option("--title", required=True)
@click.option("--received", default=None, help="ISO 8601; default now")
@click.option("--priority", type=click.Choice(rules.PRIORITIES), default="normal", show_default=True)
@click.option("--category", "categories", multiple=True)
@click.option("--lon", type=float)
@click.option("--lat", type=float)
@click.option("--grid-id", type=int)
@click.option("--team-id", type=int)
@click.option("--no-dispatch", is_flag=True, help="only register (no automatic accept/assign)")
@actor_options
@click.pass_obj
@domain_errors
def case_open(settings: Settings, title: str, received: str | None, priority: str, categories: tuple[str, ...],
              lon: float | None, lat: float | None, grid_id: int | None, team_id: int | None, no_dispatch: bool,
              actor: str, role: str) -> None:
    """Open a case (clocks start, the team is found, the order is queued)."""
    from dispatch.cases import NewCase, open_case

    now = local_now()
    new = NewCase(title=title, opened_at=_iso(received) or now, priority=priority, categories=list(categories),
                  lon=lon, lat=lat, grid_id=grid_id, team_id=team_id, auto_dispatch=not no_dispatch)
    with ready_connection(settings) as conn:
        case_id = open_case(conn, new, actor=actor, role=role, now=now)
    echo_json({"case_id": case_id})


@case_group.command("show")
@click.argument("case_id", type=int)
@click.pass_obj
@domain_errors
def case_show(settings: Settings, case_id: int) -> None:
    """The case with its events, clocks, orders, refusals and votes (JSON)."""
    from dispatch.views import case_detail

    with ready_connection(settings) as conn:
        echo_json(case_detail(conn, case_id))


@case_group.command("act")
@click.argument("case_id", type=int)
@click.argument("action")
@click.option("--reason")
@click.option("--team-id", type=int, help="for assign")
@click.option("--department", help="for transfer")
@click.option("--at", "at_", help="ISO 8601 time of the action; default now")
@actor_options
@click.pass_obj
@domain_errors
def case_act(settings: Settings, case_id: int, action: str, reason: str | None, team_id: int | None,
             department: str | None, at_: str | None, actor: str, role: str) -> None:
    """Apply ACTION (accept, assign, transfer, depart, arrive, return, investigate, reply, follow_up, close,
    archive, reopen)."""
    from dispatch.lifecycle import transition

    with ready_connection(settings) as conn:
        result = transition(conn, case_id, action, actor=actor, role=role, now=_iso(at_) or local_now(),
                            reason=reason, team_id=team_id, department=department)
    echo_json(result)


@case_group.command("escalate")
@click.argument("case_id", type=int)
@click.option("--reason", required=True, help="why it cannot be handled at this level")
@actor_options
@click.pass_obj
@domain_errors
def case_escalate(settings: Settings, case_id: int, reason: str, actor: str, role: str) -> None:
    """Say "no" at the case's level: it moves up one level (说"不"提级)."""
    from dispatch.ladder import refuse

    with ready_connection(settings) as conn:
        echo_json(refuse(conn, case_id, actor=actor, role=role, reason=reason, now=local_now()))


@case_group.command("final-no")
@click.argument("case_id", type=int)
@click.option("--reason", required=True)
@click.option("--suggestion", required=True, help='"how it could be done"')
@actor_options
@click.pass_obj
@domain_errors
def case_final_no(settings: Settings, case_id: int, reason: str, suggestion: str, actor: str, role: str) -> None:
    """The director's final "no" (reason + suggestion, within the deadline)."""
    from dispatch.ladder import final_no

    with ready_connection(settings) as conn:
        echo_json(final_no(conn, case_id, actor=actor, role=role, reason=reason, suggestion=suggestion,
                                  now=local_now()))


@case_group.command("extend")
@click.argument("case_id", type=int)
@click.option("--reason", required=True)
@actor_options
@click.pass_obj
@domain_errors
def case_extend(settings: Settings, case_id: int, reason: str, actor: str, role: str) -> None:
    """Approved +30-day extension of the close clock (once)."""
    from dispatch.lifecycle import extend_case

    with ready_connection(settings) as conn:
        due = extend_case(conn, case_id, actor=actor, role=role, reason=reason, now=local_now())
    echo_json({"case_id": case_id, "close_due": due.isoformat()})


@case_group.command("pause")
@click.argument("clock_id", type=int)
@click.option("--reason", required=True)
@actor_options
@click.pass_obj
@domain_errors
def case_pause(settings: Settings, clock_id: int, reason: str, actor: str, role: str) -> None:
    """Pause a clock where the rules allow (the actor is the approver)."""
    from dispatch.lifecycle import pause_case_clock

    with ready_connection(settings) as conn:
        pause_case_clock(conn, clock_id, actor=actor, role=role, reason=reason, now=local_now())
    click.echo("ok")


@case_group.command("resume")
@click.argument("clock_id", type=int)
@actor_options
@click.pass_obj
@domain_errors
def case_resume(settings: Settings, clock_id: int, actor: str, role: str) -> None:
    """End a clock's pause; its due time moves by the paused span."""
    from dispatch.lifecycle import resume_case_clock

    with ready_connection(settings) as conn:
        due = resume_case_clock(conn, clock_id, actor=actor, role=role, now=local_now())
    echo_json({"clock_id": clock_id, "due_at": due.isoformat()})


@case_group.command("supervise")
@click.argument("case_id", type=int)
@click.option("--instruction", required=True)
@click.option("--deadline", required=True, help="absolute deadline, ISO 8601")
@actor_options
@click.pass_obj
@domain_errors
def case_supervise(settings: Settings, case_id: int, instruction: str, deadline: str, actor: str, role: str) -> None:
    """Issue a special supervision order (专项督办令) with an absolute deadline."""
    from dispatch.supervision import issue_supervision_order

    due = _iso(deadline)
    assert due is not None
    with ready_connection(settings) as conn:
        order = issue_supervision_order(conn, case_id, actor=actor, role=role, instruction=instruction,
                                        deadline_at=due, now=local_now())
    echo_json({"supervision_order_id": order})


@case_group.command("vote")
@click.argument("case_id", type=int)
@click.option("--verdict", type=click.Choice(["satisfied", "basically_satisfied", "unsatisfied"]), required=True)
@click.option("--comment")
@click.option("--actor", default="operator", show_default=True)
@click.pass_obj
@domain_errors
def case_vote(settings: Settings, case_id: int, verdict: str, comment: str | None, actor: str) -> None:
    """Record the satisfaction vote staff took on the follow-up call ("unsatisfied" reopens the case).

    The complainant's own vote by receipt: ``envpetition complaints vote TOKEN``.
    """
    from dispatch.followup import vote

    with ready_connection(settings) as conn:
        result = vote(conn, case_id, verdict, via="staff", now=local_now(), actor=actor, comment=comment)
    echo_json(result)


@click.command("escalation-scan")
@click.option("--every", type=float, default=0, help="repeat every SECONDS (0 = once)")
@click.option("--at", "at_", help="scan as of this ISO 8601 time (replays); default now")
@click.pass_obj
def escalation_scan(settings: Settings, every: float, at_: str | None) -> None:
    """Fire due escalation steps (safe to run in several processes at once)."""
    from dispatch.escalation import scan

    with ready_connection(settings) as conn:
        while True:
            echo_json(scan(conn, now=_iso(at_) or local_now()))
            if not every:
                return
            time.sleep(every)


@click.command("dispatcher")
@click.option("--every", type=float, default=5.0, show_default=True)
@click.option("--once", is_flag=True)
@click.pass_obj
def dispatcher(settings: Settings, every: float, once: bool) -> None:
    """Send dispatch orders over MQTT, record acknowledgements, drain the outbox (recording gateway)."""
    from dispatch.dispatcher import AckListener, run_once
    from dispatch.outbox import RecordingGateway
    from envpetition.db import connect
    from envpetition.mqtt import connect as mqtt_connect
    from envpetition.runtime import ready_services

    with ready_services(settings) as services, connect(services.database_url, autocommit=True) as conn:
        listener = AckListener(services.database_url, services.mqtt_url, settings.topic_prefix, local_now)
        client = mqtt_connect(services.mqtt_url)
        gateway = RecordingGateway()
        try:
            while True:
                echo_json(run_once(conn, client, gateway, now=local_now(), topic_prefix=settings.topic_prefix))
                if once:
                    return
                time.sleep(every)
        finally:
            listener.close()
            client.loop_stop()
            client.disconnect()


@click.command("kpi")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d", "%Y-%m"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d", "%Y-%m"]), help="exclusive")
@click.option("--team-id", type=int)
@click.pass_obj
def kpi_command(settings: Settings, start: datetime, end: datetime, team_id: int | None) -> None:
    """Response, resolution, satisfaction and on-time rates per team and month (JSON)."""
    from dispatch.kpi import kpis

    with ready_connection(settings) as conn:
        echo_json(kpis(conn, start=start.date(), end=end.date(), now=local_now(), team_id=team_id))


@click.command("ledger")
@click.argument("which", type=click.Choice(["unresolved", "unsatisfied", "meeting", "listed", "quota"]))
@click.option("--month", type=click.DateTime(["%Y-%m"]), help="for quota; default this month")
@click.pass_obj
@domain_errors
def ledger_command(settings: Settings, which: str, month: datetime | None) -> None:
    """Ledgers: unresolved / unsatisfied cases, the weekly meeting list, listed cases, leaders' quota."""
    from dispatch import supervision

    now = local_now()
    with ready_connection(settings) as conn:
        if which in ("unresolved", "unsatisfied"):
            out: Any = supervision.ledger(conn, which)
        elif which == "meeting":
            out = supervision.weekly_meeting_list(conn, now=now)
        elif which == "listed":
            out = supervision.listed_cases(conn, today=now.date())
        else:
            out = supervision.quota_report(conn, (month or now).date().replace(day=1))
    echo_json(out)


@click.command("policy")
@click.option("--version", type=int)
@click.pass_obj
@domain_errors
def policy_command(settings: Settings, version: int | None) -> None:
    """Show the clock policy (every rule with its unit, amount and source)."""
    from dispatch.policy import load_policy

    with ready_connection(settings) as conn:
        policy = load_policy(conn, version)
    rows = [{"kind": r.kind, "priority": r.priority, "unit": r.unit, "amount": r.amount, "starts_on": r.starts_on,
             "pausable": r.pausable, "source": r.source} for r in sorted(policy.rules.values(), key=lambda r: (r.kind, r.priority))]
    echo_json({"version": policy.version, "business_start": policy.business_start.isoformat(),
                      "business_end": policy.business_end.isoformat(), "extension_days": policy.extension_days,
                      "rules": rows})


@click.group("policy")
def policy_group() -> None:
    """The clock policy: its rules, and the due times it gives a complaint."""


@click.group("report")
def report_group() -> None:
    """Reports: KPIs, ledgers and lists."""


policy_group.add_command(policy_command, "show")
policy_group.add_command(deadlines_command, "deadlines")
report_group.add_command(kpi_command, "kpi")
report_group.add_command(ledger_command, "ledger")

COMMANDS: list[click.Command] = [case_group, policy_group, report_group]
# long-running processes, started as ``envpetition workers run NAME``
WORKERS: dict[str, click.Command] = {"dispatcher": dispatcher, "escalation": escalation_scan}
