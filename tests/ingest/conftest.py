"""A tiny hand-drawn city for the ingest tests (nothing from sample_data).

    lat 30.92 ┌──────── grid 网格A (第一执法队) ────────┬──── grid 网格B (第二执法队) ────┐
    lat 30.91 │ 华兴化工 (ent) │ 东湖小区 │ 阳光花园二期 │ 阳光花园一期 │ 有色冶炼厂 (ent) │
    lat 30.90 │   117.79-.795  │ .80-.81  │  .81-.82     │  .82-.83     │  .835-.84        │
    lat 30.89 └──────────────────────────────────────────┴───────────────────────────────┘
    All inside district 铜官区 (117.70-117.90, 30.85-31.00); 郊区 is west of 117.70.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import shapely

from ingest.areas_import import import_areas

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 12, 9, 0, tzinfo=TZ)


def box_feature(props: dict[str, Any], x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(shapely.box(x0, y0, x1, y1))}


CITY_FEATURES = [
    box_feature({"name": "铜官区", "kind": "district", "code": "340705"}, 117.70, 30.85, 117.90, 31.00),
    box_feature({"name": "郊区", "kind": "district", "code": "340711"}, 117.50, 30.85, 117.70, 31.00),
    box_feature({"name": "东湖小区", "kind": "community", "aliases": "东湖花园、东湖新村", "code": "C001"},
                117.80, 30.90, 117.81, 30.91),
    box_feature({"name": "阳光花园二期", "kind": "community", "aliases": ["阳光二期"]}, 117.81, 30.90, 117.82, 30.91),
    box_feature({"name": "阳光花园一期", "kind": "community"}, 117.82, 30.90, 117.83, 30.91),
    box_feature({"name": "华兴化工有限公司", "kind": "enterprise", "aliases": "华兴化工", "industry": "化工"},
                117.79, 30.90, 117.795, 30.905),
    box_feature({"name": "铜陵有色冶炼厂", "kind": "enterprise", "aliases": "有色冶炼厂", "industry": "冶炼"},
                117.835, 30.905, 117.84, 30.91),
    box_feature({"name": "网格A", "kind": "grid", "team": "第一执法队", "noise_class": "2"}, 117.79, 30.89, 117.82, 30.92),
    box_feature({"name": "网格B", "kind": "grid", "team": "第二执法队", "noise_class": 1}, 117.82, 30.89, 117.85, 30.92),
]


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def city(conn: psycopg.Connection[Any], tmp_path: Path) -> dict[str, int]:
    """Load the tiny city into the rolled-back connection; return {name: area id}."""
    import_areas(conn, write_geojson(tmp_path / "city.geojson", CITY_FEATURES), now=NOW)
    rows = conn.execute("select name, id from areas where valid_to is null").fetchall()
    return {name: area_id for name, area_id in rows}


@pytest.fixture
def ctx(conn: psycopg.Connection[Any], city: dict[str, int]) -> Any:
    """An intake context over the tiny city."""
    from ingest.batch import IntakeContext

    return IntakeContext.load(conn)


HEADER_12369 = "编号,举报时间,举报人,联系电话,被举报单位,地址,经度,纬度,坐标系,举报内容"


def write_csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)
    return path


def run_import(conn: psycopg.Connection[Any], path: Path, ctx: Any, **options: Any) -> tuple[Any, list[Any]]:
    """Import a file; return (summary, results by row)."""
    from ingest.importer import import_file

    results: list[Any] = []
    summary = import_file(conn, path, now=options.pop("now", NOW), ctx=ctx, on_result=results.append, **options)
    return summary, results
