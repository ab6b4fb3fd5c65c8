"""Dispatch orders to enforcement teams over MQTT (QoS 1), with delivery state kept apart from case state.

An order is queued in the same transaction that assigns the case, published by ``publish_due_orders``
(waits for the broker's PUBACK), re-sent with exponential back-off until the team acknowledges it on
``<prefix>/teams/<team_id>/acks`` (``{"order_id": 1, "by": "张三"}``), and marked failed after
``MAX_ATTEMPTS`` with a notice to the section chief in the outbox. Payloads never carry the
complainant's identity (信访条例 Art. 23).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dispatch import outbox
from dispatch.events import record_event
from envpetition.db import copy_rows
from envpetition.dead_letters import store_dead_letters
from envpetition.errors import Conflict, NotFound

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)

SELECT_ORDER_CONTENT = """
select v.case_id, v.team_id, c.title, c.priority, c.categories, c.lon, c.lat, com.name as community,
       ent.name as enterprise, t.name as team
from unnest(%s::bigint[], %s::bigint[]) with ordinality v(case_id, team_id, n)
join cases c on c.id = v.case_id join teams t on t.id = v.team_id
left join areas com on com.id = c.community_id left join areas ent on ent.id = c.enterprise_id
order by v.n
"""
SELECT_ARRIVE_DUE = "select due_at from clocks where case_id = %s and kind = 'arrive' and met_at is null"
COPY_ORDERS = """
copy dispatch_orders (case_id, team_id, topic, payload, created_at, next_attempt_at) from stdin (format binary)
"""
ORDER_TYPES = ("int8", "int8", "text", "jsonb", "timestamptz", "timestamptz")
INSERT_ORDER = """
insert into dispatch_orders (case_id, team_id, topic, payload, created_at, next_attempt_at)
values (%s, %s, %s, %s, %s, %s) returning id
"""
CANCEL_ORDERS = """
update dispatch_orders set state = 'cancelled', last_error = 'case moved' where case_id = %s and state in ('queued', 'sent')
"""
SELECT_DUE = """
select o.id, o.case_id, o.team_id, t.mqtt_topic, o.payload, o.attempts
from dispatch_orders o join teams t on t.id = o.team_id
where o.state in ('queued', 'sent') and o.next_attempt_at <= %s
order by o.next_attempt_at limit %s for update of o skip locked
"""
MARK_SENT = """
update dispatch_orders set state = 'sent', attempts = attempts + 1, sent_at = %s, next_attempt_at = %s,
  topic = %s, last_error = null where id = %s
"""
MARK_RETRY = "update dispatch_orders set attempts = attempts + 1, next_attempt_at = %s, last_error = %s where id = %s"
MARK_FAILED = "update dispatch_orders set state = 'failed', last_error = %s where id = %s"
ACK = """
update dispatch_orders set state = 'acknowledged', acked_at = %s, acked_by = %s
where id = %s and state in ('queued', 'sent', 'failed') returning case_id
"""
SELECT_ORDER = "select id, case_id, team_id, state, attempts, acked_at, acked_by, topic from dispatch_orders where id = %s"


def team_topic(team_id: int, custom: str | None, prefix: str) -> str:
    """The team's order topic: ``teams.mqtt_topic`` when it is a full topic (has a '/'), a suffix such as
    ``team1`` → ``<prefix>/teams/team1/orders``, else ``<prefix>/teams/<team_id>/orders``."""
    if custom and "/" in custom:
        return custom
    return f"{prefix}/teams/{custom or team_id}/orders"


def ack_topic(prefix: str, team_id: int | str = "+") -> str:
    return f"{prefix}/teams/{team_id}/acks"


def backoff(attempts: int) -> timedelta:
    """Wait before the next send after ``attempts`` sends: 30 s, 60 s, 120 s … capped at 30 min."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def order_payloads(conn: psycopg.Connection[Any], pairs: list[tuple[int, int]],
                   arrive_dues: list[datetime | None]) -> list[dict[str, Any]]:
    """The order payload of each (case, team) with its running arrive deadline: what the team needs,
    never the complainant's identity. Times are written in the session's zone, as read from the database."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SELECT_ORDER_CONTENT, ([c for c, _ in pairs], [t for _, t in pairs])).fetchall()
    if len(rows) != len(pairs):
        found = {(r["case_id"], r["team_id"]) for r in rows}
        case_id, team_id = next(p for p in pairs if p not in found)
        raise NotFound(f"案件 {case_id} 或执法队 {team_id} 不存在 / no case {case_id} or team {team_id}")
    for payload, due in zip(rows, arrive_dues, strict=True):
        payload["arrive_due"] = due.astimezone(conn.info.timezone).isoformat() if due else None
    return rows


def queue_order(conn: psycopg.Connection[Any], case_id: int, team_id: int, *, now: datetime) -> int:
    """Queue the order for the team (the dispatcher picks the topic when it sends); cancels older ones."""
    conn.execute(CANCEL_ORDERS, (case_id,))
    dues = [r[0] for r in conn.execute(SELECT_ARRIVE_DUE, (case_id,)).fetchall()]
    payload = order_payloads(conn, [(case_id, team_id)], [min(dues, default=None)])[0]
    inserted = conn.execute(INSERT_ORDER, (case_id, team_id, '', Jsonb(payload), now, now)).fetchone()
    assert inserted is not None
    return int(inserted[0])


def queue_first_orders(conn: psycopg.Connection[Any], orders: list[tuple[int, int, datetime, datetime | None]]) -> None:
    """Queue the first order of each (case, team, now, arrive due) of cases just opened (nothing to cancel)."""
    if not orders:
        return
    payloads = order_payloads(conn, [(case_id, team_id) for case_id, team_id, _, _ in orders],
                              [due for _, _, _, due in orders])
    copy_rows(conn, COPY_ORDERS, ORDER_TYPES, [(case_id, team_id, '', Jsonb(payload), now, now)
                                               for (case_id, team_id, now, _), payload in zip(orders, payloads, strict=True)])


def cancel_orders(conn: psycopg.Connection[Any], case_id: int, *, now: datetime) -> None:
    conn.execute(CANCEL_ORDERS, (case_id,))


def publish_due_orders(conn: psycopg.Connection[Any], client: mqtt.Client, *, now: datetime,
                       topic_prefix: str, limit: int = 200, timeout: float = 5.0) -> dict[str, int]:
    """Send every due order once (QoS 1, waits for PUBACK); safe with several dispatchers (SKIP LOCKED)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        for order in cur.execute(SELECT_DUE, (now, limit)).fetchall():
            body = json.dumps({"order_id": order["id"], "attempt": order["attempts"] + 1, **order["payload"]},
                              ensure_ascii=False)
            error = None
            topic = team_topic(order["team_id"], order["mqtt_topic"], topic_prefix)
            try:
                info = client.publish(topic, body, qos=1)
                info.wait_for_publish(timeout)
                if not info.is_published():
                    error = "no PUBACK"
            except (RuntimeError, ValueError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            attempts = order["attempts"] + 1
            if error is None:
                conn.execute(MARK_SENT, (now, now + backoff(attempts), topic, order["id"]))
                counts["sent"] += 1
            elif attempts >= MAX_ATTEMPTS:
                conn.execute(MARK_FAILED, (error, order["id"]))
                outbox.enqueue(conn, channel="sms", recipient_role="section_chief", case_id=order["case_id"],
                               team_id=order["team_id"], subject="调度指令无法送达",
                               body=f"案件 {order['case_id']} 的调度指令 {order['id']} 多次发送失败: {error}",
                               now=now, urgent=True, dedupe_key=f"order-failed-{order['id']}")
                counts["failed"] += 1
            else:
                conn.execute(MARK_RETRY, (now + backoff(attempts), error, order["id"]))
                counts["retry"] += 1
    return counts


def acknowledge(conn: psycopg.Connection[Any], order_id: int, *, by: str, now: datetime) -> int:
    """Record the team's acknowledgement (idempotent); return the case id."""
    with conn.transaction():
        row = conn.execute(ACK, (now, by, order_id)).fetchone()
        if row is None:
            existing = conn.execute(SELECT_ORDER, (order_id,)).fetchone()
            if existing is None:
                raise NotFound(f"调度指令 {order_id} 不存在 / no dispatch order {order_id}")
            if existing[3] == "acknowledged":
                return int(existing[1])
            raise Conflict(f"调度指令 {order_id} 状态为 {existing[3]} / order {order_id} is {existing[3]}")
        record_event(conn, row[0], "order_acknowledged", actor=by, role="team_member", at=now,
                     data={"order_id": order_id})
    return int(row[0])


def handle_ack_message(conn: psycopg.Connection[Any], topic: str, payload: bytes, *, now: datetime) -> int | None:
    """Apply one acknowledgement message; malformed or unknown ones go to dead_letters, never raise."""
    try:
        message = json.loads(payload)
        order_id = int(message["order_id"])
        by = str(message.get("by") or topic.split("/")[-2])
    except (ValueError, KeyError, TypeError) as exc:
        store_dead_letters(conn, [(topic, payload, f"malformed acknowledgement: {exc}")], once=False)
        return None
    try:
        return acknowledge(conn, order_id, by=by, now=now)
    except (NotFound, Conflict) as exc:
        store_dead_letters(conn, [(topic, payload, str(exc))], once=False)
        return None


def order_status(conn: psycopg.Connection[Any], order_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SELECT_ORDER, (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"调度指令 {order_id} 不存在 / no dispatch order {order_id}")
    return row


def case_orders(conn: psycopg.Connection[Any], case_id: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select id, team_id, topic, state, attempts, created_at, sent_at, acked_at, acked_by, last_error "
            "from dispatch_orders where case_id = %s order by id", (case_id,)).fetchall()
