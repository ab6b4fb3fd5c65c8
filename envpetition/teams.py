"""Enforcement teams (a shell table): the one way to create or update them (imports, the sample city, tests, benches)."""

from __future__ import annotations

from typing import Any

import psycopg

SAVE_TEAM = """
insert into teams (name, grid_id, leader, mqtt_topic, active) values (%s, %s, %s, %s, %s)
on conflict (name) do update set grid_id = coalesce(excluded.grid_id, teams.grid_id),
    leader = coalesce(excluded.leader, teams.leader), mqtt_topic = coalesce(excluded.mqtt_topic, teams.mqtt_topic)
returning id, (xmax = 0) as inserted
"""


def save_team(conn: psycopg.Connection[Any], name: str, *, grid_id: int | None = None, leader: str | None = None,
              mqtt_topic: str | None = None, active: bool = True) -> tuple[int, bool]:
    """Create the team, or update the one of that name (what is given replaces, what is not stays).

    Return (team id, created). ``active`` applies to a new team only: re-importing a grid file does not
    bring back a team the bureau stood down.
    """
    if not name.strip():
        from envpetition.errors import InvalidInput

        raise InvalidInput("队伍名称不能为空 / team name must not be empty")
    with conn.transaction():
        row = conn.execute(SAVE_TEAM, (name.strip(), grid_id, leader, mqtt_topic, active)).fetchone()
    assert row is not None
    return int(row[0]), bool(row[1])
