"""The shared base map: a style that asks nothing of the internet, the city's GeoJSON, local vector tiles."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
import shapely

from dashboard.app import create_app
from dashboard.basemap import LAYER_IDS, BaseSource, apply_base, base_style, city_view
from envpetition.areas import Area, save_area
from envpetition.basemap import MapFeature, replace_layer
from envpetition.db import connect
from envpetition.runtime import local_now
from envpetition.servers import Services
from envpetition.settings import Settings

SOURCE = BaseSource({"type": "FeatureCollection", "features": []}, "abc123", (117.72, 30.88, 117.90, 31.0))


def _urls(obj: Any) -> list[str]:
    """Every string in a JSON tree that looks like a URL."""
    if isinstance(obj, dict):
        return [u for v in obj.values() for u in _urls(v)]
    if isinstance(obj, list):
        return [u for v in obj for u in _urls(v)]
    return [obj] if isinstance(obj, str) and ("://" in obj or obj.startswith("/")) else []


def test_default_style_has_no_glyphs_and_no_address_outside_the_app(tmp_path: Path) -> None:
    style = base_style(SOURCE, Settings(home=tmp_path))
    assert "glyphs" not in style and "sprite" not in style  # MapLibre then draws every label itself
    assert _urls(style) == ["/map/city.geojson?v=abc123"]
    ids = [layer["id"] for layer in style["layers"]]
    assert ids[0] == "background" and ids[1:] == list(LAYER_IDS)
    fig = apply_base(go.Figure(go.Scattermap(lon=[117.8], lat=[30.9])), SOURCE, Settings(home=tmp_path))
    assert _urls(json.loads(fig.to_json())) == ["/map/city.geojson?v=abc123"]


def test_configured_tiles_go_under_the_city_layers(tmp_path: Path) -> None:
    url = "http://t0.tianditu.example/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY"
    settings = Settings(home=tmp_path, map_tiles_url=url, map_label_tiles_url=url.replace("vec_w", "cva_w"),
                        map_tiles_attribution="天地图")
    style = base_style(SOURCE, settings, hide=("enterprise-label",))
    assert style["sources"]["raster0"]["tiles"] == [url] and style["sources"]["raster0"]["attribution"] == "天地图"
    ids = [layer["id"] for layer in style["layers"]]
    assert ids[:3] == ["background", "raster0", "raster1"]
    assert "community-fill" not in ids and "enterprise-label" not in ids and "road-label" in ids


def test_unknown_layer_to_hide_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown base layer"):
        base_style(SOURCE, Settings(home=tmp_path), hide=("roads",))


def test_city_view_contains_the_bounds() -> None:
    """At the chosen zoom the bounds fit inside the map (MapLibre: 512 px world at zoom 0)."""
    view = city_view(SOURCE.bounds, width_px=800, height_px=500)
    world_px = 512 * 2 ** view.zoom
    assert (SOURCE.bounds[2] - SOURCE.bounds[0]) / 360 * world_px <= 800
    assert 117.80 < view.lon < 117.82 and 30.93 < view.lat < 30.95


def _mbtiles(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("create table metadata (name text, value text)")
        db.execute("create table tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        db.execute("insert into metadata values ('json', ?)", (json.dumps({"vector_layers": [{"id": "roads"}, {"id": "water"}]}),))
        db.execute("insert into tiles values (14, 13553, ?, ?)", (2**14 - 1 - 6771, gzip.compress(b"tile-bytes")))
    return path


def _client(url: str, mqtt_url: str, settings: Settings) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(create_app(settings, Services(url, mqtt_url, embedded_database=False, embedded_broker=False)))


def test_city_geojson_and_vector_tiles_are_served_to_a_logged_in_user(fresh_database_url: str, mqtt_url: str,
                                                                      tmp_path: Path, make_user: Any) -> None:
    with connect(fresh_database_url, autocommit=True) as c:
        save_area(c, Area("community", "世界花园", shapely.box(117.80, 30.94, 117.802, 30.942)), now=local_now())
        with c.transaction():
            replace_layer(c, "road", [MapFeature("road", shapely.LineString([(117.79, 30.94), (117.83, 30.94)]), "长江路")],
                          now=local_now())
    settings = Settings(home=tmp_path, map_vector_tiles=_mbtiles(tmp_path / "city.mbtiles"))
    headers = make_user("monitoring")
    with _client(fresh_database_url, mqtt_url, settings) as client:
        assert client.get("/map/city.geojson", follow_redirects=False).status_code == 303  # login first
        body = client.get("/map/city.geojson", headers=headers)
        assert body.status_code == 200 and body.headers["content-type"] == "application/geo+json"
        layers = {(f["properties"]["layer"], f["properties"]["name"]) for f in body.json()["features"]}
        assert layers == {("community", "世界花园"), ("road", "长江路")}
        version = body.headers["etag"].strip('"')
        assert "immutable" in client.get(f"/map/city.geojson?v={version}", headers=headers).headers["cache-control"]
        tile = client.get("/map/tiles/14/13553/6771.pbf", headers=headers)
        assert tile.status_code == 200 and tile.content == b"tile-bytes"  # gzip passed through, decoded by the client
        assert tile.headers["content-encoding"] == "gzip"
        assert client.get("/map/tiles/14/13553/6772.pbf", headers=headers).status_code == 204
        assert client.get("/map/tiles/3/9/0.pbf", headers=headers).status_code == 204  # outside the grid
        style = base_style(SOURCE, settings)
        assert [layer.get("source-layer") for layer in style["layers"] if layer.get("source") == "vector"] == ["roads", "water"]
    with _client(fresh_database_url, mqtt_url, Settings(home=tmp_path)) as client:
        assert client.get("/map/tiles/1/0/0.pbf", headers=headers).status_code == 404
