"""Field actions from the team app: each applied once, at the time it happened, arrival checked on the map.

The app queues actions on the device while the network is down and sends them when it returns,
each with an id the device made up (``client_action_id``) and the device's clock. The
``field_actions`` primary key is the idempotency key: a replay answers with the stored outcome and
never acts twice. The device time is used for the record when it is plausible and flagged always
(``time_flag``), so a chief sees which steps were sent late and which clocks cannot be trusted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dispatch import ladder, lifecycle, orders
from envpetition.errors import DomainError, Forbidden, InvalidInput, NotFound
from envpetition.geo_crs import distance_m

FIELD_ACTIONS = ("acknowledge", "depart", "arrive", "investigate", "reply", "return", "refuse")
NEEDS_TEXT = {"reply": "答复内容", "return": "退回原因", "refuse": "不能办理的原因"}
DEVICE_AHEAD_TOLERANCE = timedelta(minutes=2)  # phones drift; more than this ahead is a wrong clock
QUEUED_AFTER = timedelta(seconds=60)  # sent this much after it happened: it waited in the queue
OLDEST_PLAUSIBLE = timedelta(hours=72)  # a queue older than this is a wrong clock, not a dead zone
ARRIVAL_RADIUS_M = 300.0  # 到场打卡 further than this from the case point is shown as off site

STORED = """
select client_action_id, case_id, action, outcome, message, recorded_at, time_flag, distance_m, result
from field_actions where client_action_id = %s
"""
INSERT = """
insert into field_actions (client_action_id, case_id, action, actor, role, device_at, device_clock_offset_s,
                           received_at, recorded_at, time_flag, text, lon, lat, accuracy_m, distance_m, outcome,
                           message, result)
values (%(client_action_id)s, %(case_id)s, %(action)s, %(actor)s, %(role)s, %(device_at)s, %(offset)s, %(received_at)s,
        %(recorded_at)s, %(time_flag)s, %(text)s, %(lon)s, %(lat)s, %(accuracy_m)s, %(distance_m)s, %(outcome)s,
        %(message)s, %(result)s)
"""
CASE_POINT = "select lon, lat, team_id from cases where id = %s"
LAST_EVENT_AT = "select max(at) from case_events where case_id = %s"


@dataclass
class FieldAction:
    """One action as the device sent it."""

    client_action_id: str
    case_id: int
    action: str
    device_at: datetime | None = None
    text: str | None = None
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    order_id: int | None = None
    device_clock_offset_s: float | None = None  # how far off the device clock was (the page corrects by it)


def device_time(device_at: datetime | None, now: datetime) -> tuple[datetime, str]:
    """The time to record an action with, and its flag.

    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)
    >>> device_time(now - timedelta(minutes=30), now)[1]
    'queued'
    >>> device_time(now + timedelta(hours=1), now) == (now, 'device_clock_ahead')
    True
    """
    if device_at is None:
        return now, "no_device_time"
    if device_at > now + DEVICE_AHEAD_TOLERANCE:
        return now, "device_clock_ahead"
    if device_at < now - OLDEST_PLAUSIBLE:
        return now, "device_clock_implausible"
    at = min(device_at, now)
    return at, "queued" if now - at > QUEUED_AFTER else "live"


def _parse_id(value: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"操作编号应为 UUID / client_action_id must be a UUID, got {value!r}") from exc


def _check(item: FieldAction) -> None:
    if item.action not in FIELD_ACTIONS:
        raise InvalidInput(f"未知操作 {item.action!r} / unknown action; actions: {', '.join(FIELD_ACTIONS)}")
    if item.action in NEEDS_TEXT and not (item.text and item.text.strip()):
        raise InvalidInput(f"必须填写{NEEDS_TEXT[item.action]} / {item.action} needs a text")
    if item.action == "acknowledge" and item.order_id is None:
        raise InvalidInput("确认指令需要指令编号 / acknowledge needs the order id")
    if (item.lon is None) != (item.lat is None):
        raise InvalidInput("位置需同时给出经度和纬度 / give both lon and lat")
    if item.lon is not None and not (-180 <= item.lon <= 180 and -90 <= item.lat <= 90):  # type: ignore[operator]
        raise InvalidInput("位置超出范围 / position out of range")


def _stored(conn: psycopg.Connection[Any], client_action_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(STORED, (client_action_id,)).fetchone()
    if row is None:
        return None
    return {**row["result"], "client_action_id": str(row["client_action_id"]), "outcome": row["outcome"],
            "message": row["message"], "replayed": True}


def _apply(conn: psycopg.Connection[Any], item: FieldAction, *, actor: str, role: str, team_id: int | None,
           at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    text = item.text.strip() if item.text and item.text.strip() else None
    if item.action == "acknowledge":
        order = orders.order_status(conn, item.order_id)  # type: ignore[arg-type]
        if int(order["case_id"]) != item.case_id:
            raise InvalidInput(f"指令 {item.order_id} 不属于案件 {item.case_id} / order belongs to another case")
        if role == "team_member" and team_id != order["team_id"]:
            raise Forbidden("只能确认本队的调度指令 / only the addressed team may acknowledge")
        orders.acknowledge(conn, item.order_id, by=actor, now=at)  # type: ignore[arg-type]
        return {"to": None}
    if item.action == "refuse":
        result = ladder.refuse(conn, item.case_id, actor=actor, role=role, reason=text or "", now=at,
                               actor_team_id=team_id)
        return {"to_level": result["to_level"]}
    if item.action == "investigate" and text:
        data["findings"] = text
    moved = lifecycle.transition(conn, item.case_id, item.action, actor=actor, role=role, now=at, reason=text,
                                 data=data, actor_team_id=team_id)
    return {"to": moved["to"]}


def record_field_action(conn: psycopg.Connection[Any], item: FieldAction, *, actor: str, role: str,
                        team_id: int | None, now: datetime) -> dict[str, Any]:
    """Apply one field action exactly once; a replay (same ``client_action_id``) returns the first outcome.

    A refusal (the case moved on while the device was offline, a missing reason) is stored as the
    outcome too: the device shows it and stops resending. Bad input raises before anything is stored.
    """
    item.client_action_id = _parse_id(item.client_action_id)
    _check(item)
    stored = _stored(conn, item.client_action_id)
    if stored is not None:
        return stored
    try:
        with conn.transaction():
            point = conn.execute(CASE_POINT, (item.case_id,)).fetchone()
            if point is None:
                raise NotFound(f"案件 {item.case_id} 不存在 / no case {item.case_id}")
            at, flag = device_time(item.device_at, now)
            last = conn.execute(LAST_EVENT_AT, (item.case_id,)).fetchone()
            if last and last[0] and at < last[0]:
                at = last[0]  # never before the step it follows: the history stays in order
            distance = None
            if item.action == "arrive" and item.lon is not None and item.lat is not None and point[0] is not None:
                distance = round(float(distance_m(item.lon, item.lat, point[0], point[1])), 1)
            data: dict[str, Any] = {"client_action_id": item.client_action_id, "time_flag": flag,
                                    "device_at": item.device_at.isoformat() if item.device_at else None,
                                    "received_at": now.isoformat(), "device_clock_offset_s": item.device_clock_offset_s}
            if item.lon is not None:
                data["position"] = {"lon": item.lon, "lat": item.lat, "accuracy_m": item.accuracy_m}
            if distance is not None:
                data["distance_m"] = distance
                data["off_site"] = distance > ARRIVAL_RADIUS_M
            outcome, message = "applied", None
            try:
                result = _apply(conn, item, actor=actor, role=role, team_id=team_id, at=at, data=data)
            except (NotFound, InvalidInput, Forbidden):  # not this user's to do: nothing is recorded
                raise
            except DomainError as exc:
                outcome, message, result = "refused", str(exc), {}
            result.update({"case_id": item.case_id, "action": item.action, "recorded_at": at.isoformat(),
                           "time_flag": flag, "distance_m": distance})
            conn.execute(INSERT, {
                "client_action_id": item.client_action_id, "case_id": item.case_id, "action": item.action,
                "actor": actor, "role": role, "device_at": item.device_at, "offset": item.device_clock_offset_s,
                "received_at": now, "recorded_at": at,
                "time_flag": flag, "text": item.text, "lon": item.lon, "lat": item.lat, "accuracy_m": item.accuracy_m,
                "distance_m": distance, "outcome": outcome, "message": message, "result": Jsonb(result)})
    except psycopg.errors.UniqueViolation:
        # The same action arrived twice at once: the other request applied it; ours rolled back.
        stored = _stored(conn, item.client_action_id)
        if stored is None:
            raise
        return stored
    return {**result, "client_action_id": item.client_action_id, "outcome": outcome, "message": message,
            "replayed": False}
