"""Field actions from the team app: once per device id, device time flagged, arrival measured, files kept small."""

from __future__ import annotations

import io
import threading
import uuid
from datetime import timedelta

import pytest
from PIL import Image

from dispatch import attachments
from dispatch.cases import NewCase, open_case
from dispatch.field import ARRIVAL_RADIUS_M, FieldAction, device_time, record_field_action
from envpetition.db import connect
from envpetition.errors import Conflict, InvalidInput
from tests.dispatch.conftest import at, make_city

NOW = at("2026-09-30 16:00")
SITE = (117.82, 30.92)


def new_case(conn, city):
    return open_case(conn, NewCase("化工厂异味", opened_at=NOW, categories=["air.odour"], lon=SITE[0], lat=SITE[1]),
                     actor="intake-1", role="intake", now=NOW)


def act(conn, city, case_id, action, *, key=None, now=NOW + timedelta(minutes=10), device_at=None, **kw):
    item = FieldAction(key or str(uuid.uuid4()), case_id, action, device_at=device_at or now, **kw)
    return record_field_action(conn, item, actor="li", role="team_member", team_id=city["west_team"], now=now)


def count(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize(("offset", "flag", "uses_device"), [
    (timedelta(seconds=-5), "live", True),
    (timedelta(minutes=-40), "queued", True),
    (timedelta(minutes=1), "live", False),  # a little ahead: recorded at the server's time
    (timedelta(minutes=10), "device_clock_ahead", False),
    (timedelta(days=-5), "device_clock_implausible", False),
])
def test_device_time_is_used_when_plausible_and_always_flagged(offset, flag, uses_device):
    recorded, got = device_time(NOW + offset, NOW)
    assert got == flag
    assert recorded == (NOW + offset if uses_device else NOW)


def test_no_device_time_is_flagged():
    assert device_time(None, NOW) == (NOW, "no_device_time")


def test_a_replayed_action_applies_once_and_answers_with_the_first_outcome(conn, city):
    case_id = new_case(conn, city)
    key = str(uuid.uuid4())
    first = act(conn, city, case_id, "depart", key=key)
    again = act(conn, city, case_id, "depart", key=key, now=NOW + timedelta(minutes=30))
    assert first["outcome"] == "applied" and not first["replayed"]
    assert again["replayed"] and again["outcome"] == "applied" and again["recorded_at"] == first["recorded_at"]
    assert count(conn, "select count(*) from case_events where case_id = %s and kind = 'depart'", case_id) == 1
    assert count(conn, "select count(*) from field_actions where case_id = %s", case_id) == 1


def test_a_queued_arrival_is_recorded_at_the_device_time_with_the_distance(conn, city):
    case_id = new_case(conn, city)
    act(conn, city, case_id, "depart")
    happened = NOW + timedelta(minutes=50)
    result = act(conn, city, case_id, "arrive", now=NOW + timedelta(hours=3), device_at=happened,
                 lon=SITE[0] + 0.001, lat=SITE[1], accuracy_m=12)
    assert result["time_flag"] == "queued" and result["recorded_at"] == happened.isoformat()
    assert 80 < result["distance_m"] < 110  # 0.001° of longitude at 31° N ≈ 95 m
    event = conn.execute("select at, data from case_events where case_id = %s and kind = 'arrive'", (case_id,)).fetchone()
    assert event[0] == happened and event[1]["off_site"] is False and event[1]["position"]["accuracy_m"] == 12
    met = count(conn, "select met_at from clocks where case_id = %s and kind = 'arrive'", case_id)
    assert met == happened  # the arrival clock counts when the team arrived, not when the signal returned


def test_an_arrival_far_from_the_case_is_marked_off_site(conn, city):
    case_id = new_case(conn, city)
    result = act(conn, city, case_id, "arrive", lon=SITE[0] + 0.02, lat=SITE[1])
    assert result["distance_m"] > ARRIVAL_RADIUS_M
    data = count(conn, "select data from case_events where case_id = %s and kind = 'arrive'", case_id)
    assert data["off_site"] is True


def test_an_action_the_case_has_moved_past_is_stored_as_refused_not_applied(conn, city):
    case_id = new_case(conn, city)
    key = str(uuid.uuid4())
    result = act(conn, city, case_id, "reply", key=key, text="已处理")
    assert result["outcome"] == "refused" and "不能" in result["message"]
    assert act(conn, city, case_id, "reply", key=key, text="已处理")["outcome"] == "refused"
    assert count(conn, "select count(*) from case_events where case_id = %s and kind = 'reply'", case_id) == 0


def test_bad_input_raises_and_stores_nothing(conn, city):
    case_id = new_case(conn, city)
    with pytest.raises(InvalidInput):
        act(conn, city, case_id, "return")  # no reason
    with pytest.raises(InvalidInput):
        act(conn, city, case_id, "depart", key="not-a-uuid")
    with pytest.raises(InvalidInput):
        act(conn, city, case_id, "fly")
    assert count(conn, "select count(*) from field_actions") == 0


def test_acknowledge_and_refuse_go_through_orders_and_the_ladder(conn, city):
    case_id = new_case(conn, city)
    order_id = count(conn, "select id from dispatch_orders where case_id = %s", case_id)
    assert act(conn, city, case_id, "acknowledge", order_id=order_id)["outcome"] == "applied"
    assert count(conn, "select state from dispatch_orders where id = %s", order_id) == "acknowledged"
    refused = act(conn, city, case_id, "refuse", text="涉及跨区企业，本队无权查处")
    assert refused["outcome"] == "applied" and refused["to_level"] == 2


def test_concurrent_replays_of_one_action_apply_it_once(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        city = make_city(c)
        case_id = new_case(c, city)
    key, results, errors = str(uuid.uuid4()), [], []

    def send():
        try:
            with connect(fresh_database_url, autocommit=True) as c:
                results.append(act(c, city, case_id, "depart", key=key))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 5
    with connect(fresh_database_url) as c:
        assert count(c, "select count(*) from case_events where case_id = %s and kind = 'depart'", case_id) == 1


def _photo(size=(4000, 3000), gps=True) -> bytes:
    image = Image.new("RGB", size, "#336699")
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (30.0, 55.0, 12.0), 3: "E", 4: (117.0, 49.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def test_a_photo_is_downscaled_its_exif_position_kept_apart_and_stored_once(conn, city):
    case_id = new_case(conn, city)
    action = act(conn, city, case_id, "arrive", lon=SITE[0], lat=SITE[1])
    key = str(uuid.uuid4())
    kw = {"client_attachment_id": key, "client_action_id": action["client_action_id"], "filename": "现场.jpg",
          "content_type": "image/jpeg", "data": _photo(), "uploaded_by": "li", "team_id": city["west_team"],
          "role": "team_member", "now": NOW}
    stored = attachments.attach(conn, **kw)
    assert not stored["replayed"] and stored["exif_position"]
    assert attachments.attach(conn, **kw)["replayed"]
    row = conn.execute("select width, height, exif_lon, exif_lat, content from field_attachments where case_id = %s",
                       (case_id,)).fetchall()
    assert len(row) == 1
    width, height, lon, lat, content = row[0]
    assert (width, height) == (1600, 1200)
    assert abs(lon - (117 + 49 / 60 + 12 / 3600)) < 1e-6 and abs(lat - (30 + 55 / 60 + 12 / 3600)) < 1e-6
    saved = Image.open(io.BytesIO(bytes(content)))
    assert not saved.getexif().get_ifd(0x8825)  # the file itself no longer carries the position


def test_files_are_refused_when_too_big_of_an_unknown_type_or_before_their_action(conn, city):
    case_id = new_case(conn, city)
    action = act(conn, city, case_id, "depart")
    kw = {"client_action_id": action["client_action_id"], "filename": "x", "uploaded_by": "li",
          "team_id": city["west_team"], "role": "team_member", "now": NOW}
    with pytest.raises(InvalidInput):
        attachments.attach(conn, client_attachment_id=str(uuid.uuid4()), content_type="application/x-msdownload",
                           data=b"MZ" * 10, **kw)
    with pytest.raises(InvalidInput):
        attachments.attach(conn, client_attachment_id=str(uuid.uuid4()), content_type="application/pdf",
                           data=b"%PDF" + b"0" * attachments.MAX_DOCUMENT_BYTES, **kw)
    with pytest.raises(InvalidInput):
        attachments.attach(conn, client_attachment_id=str(uuid.uuid4()), content_type="image/jpeg", data=b"not a jpeg", **kw)
    with pytest.raises(Conflict):
        attachments.attach(conn, client_attachment_id=str(uuid.uuid4()), content_type="application/pdf",
                           data=b"%PDF-1.4", **{**kw, "client_action_id": str(uuid.uuid4())})
    assert count(conn, "select count(*) from field_attachments") == 0
