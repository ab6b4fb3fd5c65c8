"""Routes of the monitoring package (JSON API): sensors, series, exceedances."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from dashboard.deps import current_user, get_conn, require_role
from envpetition import auth
from envpetition.errors import NotFound
from monitoring import queries, sensors

router = APIRouter(tags=["monitoring"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]


class SensorIn(BaseModel):
    kind: str
    name: str
    mn: str | None = None
    lon: float | None = None
    lat: float | None = None
    enterprise: str | None = None
    area_class: str | None = None
    pollutants: list[str] = []
    units: list[str] = []


@router.get("/api/monitoring/sensors")
def list_sensors(conn: Conn, user: Annotated[auth.User, Depends(current_user)]) -> list[dict[str, Any]]:
    return sensors.list_sensors(conn)


@router.put("/api/monitoring/sensors/{sensor_id}")
def put_sensor(sensor_id: str, body: SensorIn, conn: Conn,
               user: Annotated[auth.User, Depends(require_role(auth.MONITORING))]) -> dict[str, Any]:
    sensors.save_sensor(conn, sensors.Sensor(**{**body.model_dump(), "id": sensor_id}))
    saved = sensors.get_sensor(conn, sensor_id)
    assert saved is not None
    return saved


@router.get("/api/monitoring/sensors/{sensor_id}")
def get_sensor(sensor_id: str, conn: Conn, user: Annotated[auth.User, Depends(current_user)]) -> dict[str, Any]:
    found = sensors.get_sensor(conn, sensor_id)
    if found is None:
        raise NotFound(f"传感器不存在 / no sensor {sensor_id}")
    return found


@router.get("/api/monitoring/series")
def get_series(sensor_id: str, pollutant: str, start: datetime, end: datetime, conn: Conn,
               user: Annotated[auth.User, Depends(current_user)], resolution: str = "1m") -> list[dict[str, Any]]:
    return queries.series(conn, sensor_id, pollutant, start, end, resolution)


@router.get("/api/monitoring/exceedances")
def get_exceedances(start: datetime, end: datetime, conn: Conn,
                    user: Annotated[auth.User, Depends(current_user)]) -> list[dict[str, Any]]:
    return queries.exceedances(conn, start, end)
