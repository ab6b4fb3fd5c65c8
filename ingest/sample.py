"""Load the sample city (sample_data/) for the demo: areas and teams, then every complaint channel.

One loader shared by the CLI demo and the checks; tests use their own tiny city instead.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from envpetition.teams import save_team
from ingest.areas_import import import_areas
from ingest.batch import IntakeContext, RowResult
from ingest.importer import import_file

AREA_FILES = ("districts.geojson", "grids.geojson", "communities.geojson", "enterprises.geojson")
COMPLAINT_FILES = ("12369.csv", "12369_october.xlsx", "12345.json", "letters.csv", "online.json")
GRID_ID = "select id from areas where kind = 'grid' and name = %s and valid_to is null"


def _areas_folder(folder: str | Path) -> Path:
    folder = Path(folder)
    return folder / "areas" if (folder / "areas").is_dir() else folder


def load_sample_areas(conn: psycopg.Connection[Any], folder: str | Path, *, now: datetime) -> dict[str, Any]:
    """Import the city's area files of sample_data/areas and teams.json; return a summary per file.

    ``tricky.geojson`` (awkward test geometries and test points) is not part of the city and is not
    loaded; a stray ``test_point`` feature in any file is skipped rather than quarantined.
    """
    areas = _areas_folder(folder)
    summary: dict[str, Any] = {}
    for name in AREA_FILES:
        path = areas / name
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        features = [f for f in data.get("features", []) if (f.get("properties") or {}).get("kind") != "test_point"]
        with tempfile.TemporaryDirectory() as tmp:
            filtered = Path(tmp) / name
            filtered.write_text(json.dumps({**data, "features": features}, ensure_ascii=False), encoding="utf-8")
            summary[name] = import_areas(conn, filtered, now=now).as_dict()
    teams_path = areas / "teams.json"
    if teams_path.exists():
        teams = json.loads(teams_path.read_text(encoding="utf-8"))
        with conn.transaction():
            for team in teams:
                grid = conn.execute(GRID_ID, (team.get("grid"),)).fetchone() if team.get("grid") else None
                save_team(conn, team["name"], grid_id=grid[0] if grid else None, leader=team.get("leader"),
                          mqtt_topic=team.get("mqtt_topic_suffix") or team.get("mqtt_topic"))
        summary["teams.json"] = {"teams": len(teams)}
    return summary


def import_sample_complaints(conn: psycopg.Connection[Any], folder: str | Path, *, now: datetime,
                             progress: Callable[[str, int, int], None] | None = None,
                             on_result: Callable[[RowResult], None] | None = None,
                             backfill: bool = False) -> dict[str, Any]:
    """Import every sample complaint file in received order of channel files; return summaries.

    ``backfill`` registers each case at its complaint's receipt time (a history import), so a
    replay on a simulated clock sees every case appear when it was received.
    """
    folder = Path(folder)
    complaints = folder / "complaints" if (folder / "complaints").is_dir() else folder
    ctx = IntakeContext.load(conn, backfill=backfill)
    out: dict[str, Any] = {}
    for name in COMPLAINT_FILES:
        path = complaints / name
        if not path.exists():
            continue
        report = (lambda done, total, _n=name: progress(_n, done, total)) if progress else None
        out[name] = import_file(conn, path, now=now, ctx=ctx, progress=report, on_result=on_result).as_dict()
    totals = {key: sum(s[key] for s in out.values()) for key in
              ("rows", "accepted", "duplicates", "repeats", "quarantined", "needs_location", "cases_opened")}
    out["total"] = totals
    return out
