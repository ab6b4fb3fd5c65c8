"""Our 13 categories as the national 12369 pollution types and sub-types used in the bulletins."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ingest.classify import CATEGORIES


def pollution_types_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "pollution_types.csv"))


@lru_cache(maxsize=1)
def pollution_types() -> dict[str, dict[str, str]]:
    """Category → its row of ``pollution_types.csv`` (national type and sub-type, Chinese and English)."""
    with pollution_types_path().open(encoding="utf-8", newline="") as handle:
        table = {row["category"]: row for row in csv.DictReader(handle)}
    missing = set(CATEGORIES) - set(table)
    if missing:
        raise ValueError(f"pollution_types.csv lacks {sorted(missing)}")
    return table


def national_type(category: str) -> tuple[str, str]:
    """(national type, sub-type) of one of our categories, e.g. ('大气', '恶臭/异味')."""
    row = pollution_types()[category]
    return row["national_type"], row["national_subtype"]
