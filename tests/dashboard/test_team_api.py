"""The team app's JSON API and files: idempotent actions, attachments for staff only, the installable app's files."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from dispatch.cases import NewCase, open_case
from envpetition.calendar import seed_calendar
from envpetition.db import connect
from envpetition.runtime import local_now
from envpetition.teams import save_team


def _world(url):
    now = local_now()
    with connect(url, autocommit=True) as c:
        seed_calendar(c, [now.year, now.year + 1])
        west, _ = save_team(c, "西区执法队")
        east, _ = save_team(c, "东区执法队")
        case_id = open_case(c, NewCase("焦化新村夜间异味", opened_at=now, team_id=west, lon=117.81, lat=30.945),
                            actor="intake", role="intake", now=now)
    return west, east, case_id


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), "#884422").save(out, "JPEG")
    return out.getvalue()


def test_an_action_posted_twice_is_recorded_once_and_its_photo_is_for_staff_only(app_client, make_user, fresh_database_url):
    west, east, case_id = _world(fresh_database_url)
    member = make_user("team_member", team_id=west)
    body = {"client_action_id": str(uuid.uuid4()), "case_id": case_id, "action": "arrive",
            "device_at": local_now().isoformat(), "lon": 117.8105, "lat": 30.945, "accuracy_m": 8,
            "device_clock_offset_s": -3600.0}
    first = app_client.post("/api/team/actions", json=body, headers=member).json()
    second = app_client.post("/api/team/actions", json=body, headers=member).json()
    assert first["outcome"] == "applied" and not first["replayed"] and second["replayed"]
    assert 40 < first["distance_m"] < 60
    with connect(fresh_database_url) as c:
        assert c.execute("select count(*) from case_events where kind = 'arrive'").fetchone()[0] == 1
        assert c.execute("select device_clock_offset_s from field_actions").fetchone()[0] == -3600.0
    upload = {"client_attachment_id": str(uuid.uuid4()), "client_action_id": body["client_action_id"]}
    stored = app_client.post("/api/team/attachments", data=upload, headers=member,
                             files={"file": ("现场.jpg", _jpeg(), "image/jpeg")}).json()
    assert stored["size_bytes"] < 400_000 and not stored["replayed"]
    again = app_client.post("/api/team/attachments", data=upload, headers=member,
                            files={"file": ("现场.jpg", _jpeg(), "image/jpeg")}).json()
    assert again["replayed"] and again["id"] == stored["id"]
    url = f"/team/attachments/{stored['id']}"
    photo = app_client.get(url, headers=member)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (1600, 1200)
    assert app_client.get(url, headers=make_user("section_chief")).status_code == 200
    assert app_client.get(url, headers=make_user("team_member", team_id=east)).status_code == 403
    assert app_client.get(url, headers=make_user("intake")).status_code == 403
    assert app_client.get(url, follow_redirects=False).status_code == 303  # no login: to the login page


def test_bad_actions_are_refused_with_a_reason(app_client, make_user, fresh_database_url):
    west, east, case_id = _world(fresh_database_url)
    member = make_user("team_member", team_id=west)
    bad_id = app_client.post("/api/team/actions", headers=member,
                             json={"client_action_id": "123", "case_id": case_id, "action": "depart"})
    assert bad_id.status_code == 422 and "UUID" in bad_id.json()["detail"]
    stranger = app_client.post("/api/team/actions", headers=make_user("team_member", team_id=east),
                               json={"client_action_id": str(uuid.uuid4()), "case_id": case_id, "action": "depart"})
    assert stranger.status_code == 403 and "只有承办执法队" in stranger.text  # not theirs: refused, nothing recorded
    assert app_client.post("/api/team/actions", headers=make_user("intake"),
                           json={"client_action_id": str(uuid.uuid4()), "case_id": case_id,
                                 "action": "depart"}).status_code == 403
    early = app_client.post("/api/team/attachments", headers=member, files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
                            data={"client_attachment_id": str(uuid.uuid4()), "client_action_id": str(uuid.uuid4())})
    assert early.status_code == 409  # the action it belongs to has not arrived: the device keeps it queued


def test_the_app_installs_from_files_the_app_serves(app_client):
    manifest = app_client.get("/team/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["display"] == "standalone"
    worker = app_client.get("/team/sw.js")
    assert worker.headers["service-worker-allowed"] == "/team" and "caches.open" in worker.text
    for icon in manifest.json()["icons"]:
        image = Image.open(io.BytesIO(app_client.get(icon["src"]).content))
        assert f"{image.width}x{image.height}" == icon["sizes"]
