"""Serve vector tiles from a local MBTiles file (SQLite), so an intranet needs no tile server."""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from pathlib import Path

TILE_SQL = "select tile_data from tiles where zoom_level = ? and tile_column = ? and tile_row = ?"
METADATA_SQL = "select value from metadata where name = 'json'"


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"map_vector_tiles: no MBTiles file at {path}")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


@lru_cache(maxsize=4)
def vector_layers(path: Path) -> tuple[str, ...]:
    """The source-layer names the file declares (MBTiles metadata ``json`` → ``vector_layers``)."""
    with _open(path) as db:
        row = db.execute(METADATA_SQL).fetchone()
    if row is None:
        return ()
    return tuple(str(layer["id"]) for layer in json.loads(row[0]).get("vector_layers", []))


def read_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """One tile by its XYZ address (MBTiles rows count from the south: TMS), or None."""
    if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    with _open(path) as db:
        row = db.execute(TILE_SQL, (z, x, 2**z - 1 - y)).fetchone()
    return None if row is None else bytes(row[0])
