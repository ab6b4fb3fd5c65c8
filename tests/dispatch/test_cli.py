"""The dispatch commands end to end through ``envpetition`` (click), on a database of the test's own."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from envpetition.cli import main
from envpetition.db import connect


@pytest.fixture
def run(fresh_database_url, mqtt_url, tmp_path):
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), env={"DATABASE_URL": fresh_database_url, "MQTT_URL": mqtt_url,
                                                      "ENVPETITION_HOME": str(tmp_path)}, catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


@pytest.mark.parametrize("args,expected", [
    (["--received", "2026-09-30T16:00:00+08:00", "--priority", "normal", "--investigated", "2026-09-30T18:00:00+08:00"],
     {"arrive": "2026-10-08T16:00:00+08:00", "follow_up": "2026-10-10T18:00:00+08:00",
      "close": "2026-11-29T16:00:00+08:00", "reply": "2026-10-08T18:00:00+08:00"}),
    (["--received", "2026-10-01T23:00:00+08:00", "--priority", "emergency"], {"arrive": "2026-10-02T01:00:00+08:00"}),
    (["--received", "2026-10-03T20:00", "--priority", "urgent"], {"arrive": "2026-10-04T02:00:00+08:00"}),
    (["--received", "2026-09-19T02:00:00Z", "--priority", "normal"], {"arrive": "2026-09-21T08:30:00+08:00"}),
])
def test_deadlines_json(run, args, expected):
    code, out = run("policy", "deadlines", *args, "--json")
    assert code == 0, out
    clocks = json.loads(out.strip().splitlines()[-1])["clocks"]
    assert {k: clocks[k] for k in expected} == expected
    assert ("follow_up" in clocks) == ("--investigated" in args)


def test_deadlines_bad_input(run):
    code, out = run("policy", "deadlines", "--received", "yesterday", "--priority", "normal", "--json")
    assert code == 2 and "ISO 8601" in out
    code, out = run("policy", "deadlines", "--received", "2026-10-01T10:00", "--priority", "soon", "--json")
    assert code == 2


def test_case_commands(run):
    code, out = run("case", "open", "--title", "噪声扰民", "--received", "2026-10-09T09:00", "--no-dispatch",
                    "--role", "intake")
    assert code == 0, out
    case_id = json.loads(out)["case_id"]
    code, out = run("case", "act", str(case_id), "close", "--role", "section_chief")
    assert code == 1 and "cannot close" in out
    code, out = run("case", "act", str(case_id), "accept", "--role", "intake")
    assert code == 0 and json.loads(out)["to"] == "accepted"
    code, out = run("case", "escalate", str(case_id), "--role", "intake", "--reason", "需要科室协调")
    assert code == 0 and json.loads(out)["to_level"] == 2
    code, out = run("case", "show", str(case_id))
    detail = json.loads(out)
    assert [e["kind"] for e in detail["events"]] == ["registered", "accept", "escalated"]
    assert {c["kind"] for c in detail["clocks"]} == {"accept", "dispatch", "arrive", "close"}
    code, out = run("workers", "run", "escalation", "--at", "2026-10-12T10:00:00+08:00")
    assert code == 0 and json.loads(out)["fired"] >= 3
    code, out = run("report", "ledger", "unresolved")
    assert code == 0 and json.loads(out)[0]["case_id"] == case_id
    code, out = run("policy", "show")
    assert json.loads(out)["version"] == 1


def test_dispatcher_once_sends_the_queued_order(run, fresh_database_url):
    from tests.dispatch.conftest import make_city

    with connect(fresh_database_url, autocommit=True) as conn, conn.transaction():
        make_city(conn)
    code, out = run("case", "open", "--title", "异味", "--lon", "117.82", "--lat", "30.92", "--role", "intake")
    assert code == 0, out
    code, out = run("workers", "run", "dispatcher", "--once")
    assert code == 0, out
    assert json.loads(out.strip().splitlines()[-1])["orders"]["sent"] == 1
    with connect(fresh_database_url, autocommit=True) as conn:
        assert conn.execute("select state from dispatch_orders").fetchone()[0] == "sent"
