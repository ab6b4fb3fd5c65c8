"""The base map's data: the city's layers as GeoJSON and the optional local vector tiles."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from dashboard.basemap import base_source
from dashboard.templating import Conn, PageUser
from dashboard.vector_tiles import read_tile

router = APIRouter(include_in_schema=False)
GZIP_MAGIC = b"\x1f\x8b"


@router.get("/map/city.geojson")
def city_geojson(request: Request, conn: Conn, user: PageUser, v: str | None = None) -> Response:
    """Districts, grids, communities, enterprises, water, roads and places; cached while the version holds."""
    source = base_source(conn)
    body = json.dumps(source.geojson, ensure_ascii=False, separators=(",", ":"))
    cache = "private, max-age=86400, immutable" if v == source.version else "private, no-cache"
    return Response(body, media_type="application/geo+json",
                    headers={"Cache-Control": cache, "ETag": f'"{source.version}"'})


@router.get("/map/tiles/{z}/{x}/{y}.pbf")
def vector_tile(request: Request, user: PageUser, z: int, x: int, y: int) -> Response:
    """One tile of the configured MBTiles file (gzip-compressed tiles are passed through as such)."""
    path = request.app.state.settings.map_vector_tiles
    if path is None:
        raise HTTPException(404, "未配置矢量瓦片 / no vector tile file configured (ENVPETITION_MAP_VECTOR_TILES)")
    data = read_tile(path, z, x, y)
    if data is None:
        return Response(status_code=204)  # MapLibre reads an empty answer as an empty tile
    headers = {"Cache-Control": "private, max-age=86400"}
    if data.startswith(GZIP_MAGIC):
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type="application/vnd.mapbox-vector-tile", headers=headers)
