"""Assignment: the grid's team, the routing table (category × area), the workload fallback."""

from __future__ import annotations

import pytest

from dispatch.assignment import add_routing_rule, choose_team, grid_at
from envpetition.errors import InvalidInput
from tests.dispatch.conftest import at
from tests.dispatch.test_lifecycle import new_case


@pytest.mark.parametrize("lon,lat,grid", [
    (117.82, 30.92, "west_grid"), (117.87, 30.92, "east_grid"),
    (117.85, 30.93, "west_grid"),  # exactly on the shared edge: covered by both, lowest id wins
    (117.80, 30.90, "west_grid"),  # corner
    (117.95, 30.92, None),
])
def test_grid_by_polygon(conn, city, lon, lat, grid):
    assert grid_at(conn, lon, lat) == (city[grid] if grid else None)


def test_grid_team_wins(conn, city):
    choice = choose_team(conn, grid_id=None, categories=["noise"], area_ids=[], lon=117.87, lat=30.92)
    assert (choice.team_id, choice.basis) == (city["east_team"], "grid")


def test_routing_table_by_category_and_area(conn, city):
    add_routing_rule(conn, category="water", area_id=None, team_id=city["east_team"], department=None)
    add_routing_rule(conn, category="water", area_id=city["west_grid"], team_id=city["west_team"], department=None, rank=200)
    add_routing_rule(conn, category="construction_dust", area_id=None, team_id=None, department="住建局")
    conn.execute("update teams set grid_id = null")  # no jurisdiction team
    choice = choose_team(conn, grid_id=city["west_grid"], categories=["water"], area_ids=[])
    assert (choice.team_id, choice.basis) == (city["west_team"], "routing")  # area-specific beats rank
    choice = choose_team(conn, grid_id=None, categories=["water"], area_ids=[])
    assert choice.team_id == city["east_team"]
    choice = choose_team(conn, grid_id=None, categories=["construction_dust"], area_ids=[])
    assert (choice.team_id, choice.department) == (None, "住建局")
    with pytest.raises(InvalidInput):
        add_routing_rule(conn, category="x", area_id=None, team_id=None, department=None)


def test_workload_fallback_picks_the_least_loaded_team(conn, city):
    conn.execute("update teams set grid_id = null")
    for _ in range(2):
        new_case(conn, city, team_id=city["west_team"], opened_at=at("2026-10-09 09:00"))
    choice = choose_team(conn, grid_id=None, categories=["odour"], area_ids=[])
    assert (choice.team_id, choice.basis) == (city["east_team"], "workload")


def test_routed_department_becomes_lead_of_a_registered_case(conn, city):
    conn.execute("update teams set active = false")
    add_routing_rule(conn, category="construction_dust", area_id=None, team_id=None, department="住建局")
    case_id = new_case(conn, city, categories=["construction_dust"], lon=120.0, lat=10.0)
    row = conn.execute("select state, team_id, lead_department from cases where id = %s", (case_id,)).fetchone()
    assert row == ("registered", None, "住建局")
