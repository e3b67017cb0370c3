"""Fleet routes on SQLite and PostgreSQL: enrolment, box config and heartbeat, revocation,
camera secrets encrypted at rest and masked for admins, tenancy and hostile values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from metrica import __version__
from metrica.server.fleet.models import BoxCamera, CameraSettingAudit
from metrica.server.fleet.secrets import SecretBox, SecretsError
from metrica.server.fleet.sources import masked_source
from metrica.server.state import AppState
from tests.server.factories import bearer, crossing, make_camera, make_store, make_user

PASSWORD = "s3cr3t-Pa55"
SOURCE = f"rtsp://viewer:{PASSWORD}@10.0.0.7:554/stream1"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


async def _admin(state: AppState) -> dict[str, str]:
    return bearer(
        state, await make_user(state, f"root-{uuid.uuid4().hex[:6]}@x.io", role="superadmin")
    )


async def _token(client: httpx.AsyncClient, admin: dict[str, str], store_id: object) -> str:
    r = await client.post(
        "/admin/fleet/enrolment-tokens", json={"store_id": str(store_id)}, headers=admin
    )
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


async def _enrol(client: httpx.AsyncClient, token: str, hostname: str = "box-1") -> dict[str, Any]:
    r = await client.post(
        "/fleet/enroll", json={"token": token, "hostname": hostname, "version": __version__}
    )
    assert r.status_code == 201, r.text
    creds: dict[str, Any] = r.json()
    return creds


def _box(creds: dict[str, Any]) -> dict[str, str]:
    return {"X-Box-Key": creds["box_key"]}


@pytest.fixture(autouse=True)
def _pinned_clock(state: AppState) -> None:
    state.clock = lambda: NOW


async def test_enrol_config_heartbeat_and_revoke(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await _admin(state)
    store = await make_store(state)
    camera, _hand_key = await make_camera(state, store)
    token = await _token(client, admin, store.id)
    creds = await _enrol(client, token)
    assert creds["store_id"] == str(store.id)
    again = await client.post(
        "/fleet/enroll", json={"token": token, "hostname": "box-2", "version": "0.1.0"}
    )
    assert again.status_code == 401
    assert token not in again.text

    r = await client.get("/fleet/box/config", headers=_box(creds))
    assert r.status_code == 200
    assert r.json()["cameras"] == []
    empty_etag = r.headers["etag"]

    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings",
        json={
            "source": SOURCE,
            "stride": 2,
            "input_size": 640,
            "model": "yolo11n",
            "schedule": {"start": "07:00", "end": "22:00"},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert PASSWORD not in r.text
    assert r.json()["source_masked"] == "rtsp://viewer:•••@10.0.0.7:554/stream1"
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/box", json={"box_id": creds["box_id"]}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["box_id"] == creds["box_id"]
    assert PASSWORD not in r.text

    r = await client.get("/fleet/box/config", headers=_box(creds))
    assert r.status_code == 200
    assert r.headers["etag"] != empty_etag
    [cam] = r.json()["cameras"]
    assert cam["source"] == SOURCE
    assert cam["settings"] == {
        "model": "yolo11n",
        "input_size": 640,
        "stride": 2,
        "schedule": {"start": "07:00", "end": "22:00"},
        "blur_people": True,
    }
    assert [ln["line_id"] for ln in cam["lines"]] == ["door"]
    etag = r.headers["etag"]
    r304 = await client.get("/fleet/box/config", headers=_box(creds) | {"If-None-Match": etag})
    assert r304.status_code == 304
    assert r304.content == b""

    worker = {"X-Worker-Key": cam["worker_key"]}
    r = await client.post(
        "/events", json={"events": [crossing(camera.id, "in", NOW)]}, headers=worker
    )
    assert r.status_code == 200
    assert r.json()["accepted"] == 1

    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings", json={"stride": 3}, headers=admin
    )
    assert r.status_code == 200
    assert r.json()["source_masked"].endswith("@10.0.0.7:554/stream1")  # source kept
    r = await client.get("/fleet/box/config", headers=_box(creds) | {"If-None-Match": etag})
    assert r.status_code == 200
    assert r.json()["cameras"][0]["settings"]["stride"] == 3

    beat = {
        "version": "0.0.9",
        "uptime_s": 12.5,
        "cpu_percent": 31.0,
        "memory_percent": 40.0,
        "disk_percent": 55.5,
        "outbox_depth": 7,
        "cameras": [
            {"camera_id": str(camera.id), "state": "running", "restarts": 1},
            {"camera_id": str(uuid.uuid4()), "state": "running"},
        ],
        "errors": [{"at": "2026-03-04T11:59:00Z", "message": "camera x: worker exited 1"}],
    }
    r = await client.post("/fleet/box/heartbeat", json=beat, headers=_box(creds))
    assert r.status_code == 204, r.text
    r = await client.get(f"/admin/fleet/boxes?store_id={store.id}", headers=admin)
    [box] = r.json()["data"]
    assert box["online"] is True
    assert box["drift"] == "behind"
    assert box["release"] == __version__
    assert box["cpu_percent"] == 31.0
    assert box["outbox_depth"] == 7
    assert box["camera_ids"] == [str(camera.id)]
    assert [c["camera_id"] for c in box["camera_states"]] == [str(camera.id)]  # foreign dropped
    r = await client.get(f"/admin/fleet/boxes/{creds['box_id']}/errors", headers=admin)
    assert [e["message"] for e in r.json()["data"]] == ["camera x: worker exited 1"]

    state.clock = lambda: NOW + timedelta(seconds=state.settings.fleet_offline_after_s + 1)
    r = await client.get(f"/admin/fleet/boxes/{creds['box_id']}", headers=admin)
    assert r.json()["online"] is False

    r = await client.post(f"/admin/fleet/boxes/{creds['box_id']}/revoke", headers=admin)
    assert r.status_code == 200
    assert r.json()["revoked"] is True
    assert (await client.get("/fleet/box/config", headers=_box(creds))).status_code == 401
    beat_after = await client.post("/fleet/box/heartbeat", json=beat, headers=_box(creds))
    assert beat_after.status_code == 401
    r = await client.post(
        "/events", json={"events": [crossing(camera.id, "in", NOW)]}, headers=worker
    )
    assert r.status_code == 401  # the camera's worker key went with the box

    fresh = await _enrol(client, await _token(client, admin, store.id), hostname="box-1")
    assert fresh["box_id"] != creds["box_id"]
    r = await client.get("/fleet/box/config", headers=_box(fresh))
    assert r.json()["cameras"] == []  # cameras are assigned again by an admin


async def test_turning_blur_off_is_delivered_and_audited(
    client: httpx.AsyncClient, state: AppState, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await _admin(state)
    store = await make_store(state)
    camera, _ = await make_camera(state, store)
    creds = await _enrol(client, await _token(client, admin, store.id))
    await client.put(
        f"/admin/fleet/cameras/{camera.id}/box", json={"box_id": creds["box_id"]}, headers=admin
    )
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings",
        json={"source": SOURCE, "blur_people": False},
        headers=admin,
    )
    assert r.json()["settings"]["blur_people"] is False
    audit = [rec.getMessage() for rec in caplog.records if rec.name == "metrica.fleet"]
    assert len(audit) == 1
    assert "root-" in audit[0]
    assert str(camera.id) in audit[0]
    assert PASSWORD not in audit[0]
    r = await client.get("/fleet/box/config", headers=_box(creds))
    assert r.json()["cameras"][0]["settings"]["blur_people"] is False
    # the audit is in the database: who, when, old -> new, visible to admins only
    r = await client.get(f"/admin/fleet/cameras/{camera.id}/audit", headers=admin)
    assert r.status_code == 200
    [entry] = r.json()["entries"]
    assert entry["actor_email"].startswith("root-")
    assert datetime.fromisoformat(entry["changed_at"]) == NOW
    assert (entry["setting"], entry["old_value"], entry["new_value"]) == (
        "blur_people",
        "on",
        "off",
    )
    owner = bearer(state, await make_user(state, "owner@example.com"))
    r = await client.get(f"/admin/fleet/cameras/{camera.id}/audit", headers=owner)
    assert r.status_code == 403
    # an unchanged setting writes nothing; turning it back on (later) is audited too
    state.clock = lambda: NOW + timedelta(minutes=5)
    for blur in (False, True):
        r = await client.put(
            f"/admin/fleet/cameras/{camera.id}/settings",
            json={"blur_people": blur},
            headers=admin,
        )
        assert r.status_code == 200
    r = await client.get(f"/admin/fleet/cameras/{camera.id}/audit", headers=admin)
    assert [(e["old_value"], e["new_value"]) for e in r.json()["entries"]] == [
        ("off", "on"),
        ("on", "off"),
    ]
    # and it outlives the camera
    await client.delete(f"/admin/cameras/{camera.id}", headers=admin)
    async with state.sessions() as session:
        kept = await session.scalars(
            select(CameraSettingAudit).where(CameraSettingAudit.camera_id == camera.id)
        )
        assert len(kept.all()) == 2


async def test_expired_token_is_refused(client: httpx.AsyncClient, state: AppState) -> None:
    admin = await _admin(state)
    store = await make_store(state)
    r = await client.post(
        "/admin/fleet/enrolment-tokens",
        json={"store_id": str(store.id), "ttl_s": 60},
        headers=admin,
    )
    token = r.json()["token"]
    assert r.json()["expires_at"].startswith("2026-03-04T12:01:00")
    state.clock = lambda: NOW + timedelta(seconds=61)
    r = await client.post("/fleet/enroll", json={"token": token, "hostname": "b", "version": "1"})
    assert r.status_code == 401


async def test_source_is_encrypted_at_rest(client: httpx.AsyncClient, state: AppState) -> None:
    admin = await _admin(state)
    store = await make_store(state)
    camera, _ = await make_camera(state, store)
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings", json={"source": SOURCE}, headers=admin
    )
    assert r.status_code == 200
    async with state.sessions() as session:
        row = await session.scalar(select(BoxCamera).where(BoxCamera.camera_id == camera.id))
    assert row is not None
    assert row.source_encrypted is not None
    assert PASSWORD not in row.source_encrypted
    assert "10.0.0.7" not in row.source_encrypted
    other = SecretBox.from_settings(None, "another-secret")
    with pytest.raises(SecretsError):
        other.decrypt(row.source_encrypted)
    mine = SecretBox.from_settings(None, state.settings.secret_key.get_secret_value())
    assert mine.decrypt(row.source_encrypted) == SOURCE


def test_rotation_reads_old_and_writes_new() -> None:
    old_key, new_key = SecretBox.from_settings(None, "a"), SecretBox.from_settings(None, "b")
    from metrica.server.fleet.secrets import derived_key

    both = SecretBox([derived_key("b"), derived_key("a")])
    token = old_key.encrypt(SOURCE)
    rotated = both.rotate(token)
    assert new_key.decrypt(rotated) == SOURCE
    with pytest.raises(SecretsError):
        old_key.decrypt(rotated)


async def test_tenancy(client: httpx.AsyncClient, state: AppState) -> None:
    admin = await _admin(state)
    store_a, store_b = await make_store(state, name="A"), await make_store(state, name="B")
    camera_b, _ = await make_camera(state, store_b)
    creds_a = await _enrol(client, await _token(client, admin, store_a.id))
    r = await client.put(
        f"/admin/fleet/cameras/{camera_b.id}/box",
        json={"box_id": creds_a["box_id"]},
        headers=admin,
    )
    assert r.status_code == 409
    r = await client.put(
        f"/admin/fleet/cameras/{camera_b.id}/box",
        json={"box_id": str(uuid.uuid4())},
        headers=admin,
    )
    assert r.status_code == 404
    owner = await make_user(state, "owner@x.io")
    owner_h = bearer(state, owner)
    for method, path in [
        ("GET", "/admin/fleet/boxes"),
        ("POST", f"/admin/fleet/boxes/{creds_a['box_id']}/revoke"),
        ("GET", f"/admin/fleet/cameras/{camera_b.id}"),
    ]:
        assert (await client.request(method, path, headers=owner_h)).status_code == 403
    r = await client.post(
        "/admin/fleet/enrolment-tokens", json={"store_id": str(uuid.uuid4())}, headers=admin
    )
    assert r.status_code == 404
    for headers in ({}, {"X-Box-Key": "mbx_nope"}, {"X-Box-Key": "x" * 5000}):
        assert (await client.get("/fleet/box/config", headers=headers)).status_code == 401


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "rtsp://",
        "rtsp://host:99999/x",
        "rtsp://h/\x00",
        "relative/path.mp4",
        "rtsp://h/" + "a" * 3000,
    ],
)
async def test_hostile_sources_are_422(
    client: httpx.AsyncClient, state: AppState, source: str
) -> None:
    admin = await _admin(state)
    camera, _ = await make_camera(state, await make_store(state))
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings", json={"source": source}, headers=admin
    )
    assert r.status_code == 422
    assert source[:40] not in r.text or len(source) < 12


@pytest.mark.parametrize(
    "change",
    [
        {"cpu_percent": "NaN"},
        {"cpu_percent": 101},
        {"uptime_s": -1},
        {"outbox_depth": 2**63},
        {"version": "1\x00"},
        {"errors": [{"at": "0001-01-01T00:00:00Z", "message": "x"}]},
        {"errors": [{"at": "2026-03-04T11:00:00Z", "message": "x"}] * 21},
        {"errors": [{"at": "2026-03-04T11:00:00Z", "message": "x" * 501}]},
        {"cameras": [{"camera_id": "not-a-uuid", "state": "running"}]},
        {"cameras": [{"camera_id": str(uuid.uuid4()), "state": "exploded"}]},
        {"surprise": 1},
    ],
)
async def test_hostile_heartbeats_are_422(
    client: httpx.AsyncClient, state: AppState, change: dict[str, Any]
) -> None:
    admin = await _admin(state)
    store = await make_store(state)
    creds = await _enrol(client, await _token(client, admin, store.id))
    beat = {"version": "0.1.0", "uptime_s": 1.0} | change
    r = await client.post(
        "/fleet/box/heartbeat",
        content=httpx.Request("POST", "/", json=beat).content.replace(b'"NaN"', b"NaN"),
        headers=_box(creds) | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "body",
    [
        {"token": "", "hostname": "h", "version": "1"},
        {"token": "t" * 201, "hostname": "h", "version": "1"},
        {"token": "t", "hostname": "h\x00", "version": "1"},
        {"token": "t", "hostname": "h" * 256, "version": "1"},
        {"token": "t", "hostname": "h", "version": "1", "extra": True},
    ],
)
async def test_hostile_enrolments_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await client.post("/fleet/enroll", json=body)
    assert r.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"stride": 0},
        {"stride": 2**63},
        {"input_size": 641},
        {"model": "../../etc/passwd"},
        {"schedule": {"start": "25:00", "end": "01:00"}},
        {"schedule": {"start": "07:00", "end": "07:00"}},
    ],
)
async def test_hostile_settings_are_422(
    client: httpx.AsyncClient, state: AppState, body: dict[str, Any]
) -> None:
    admin = await _admin(state)
    camera, _ = await make_camera(state, await make_store(state))
    r = await client.put(f"/admin/fleet/cameras/{camera.id}/settings", json=body, headers=admin)
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("rtsp://u:pw@h:554/s", "rtsp://u:•••@h:554/s"),
        ("rtsp://:pw@h/s", "rtsp://•••@h/s"),
        ("rtsp://h/s", "rtsp://h/s"),
        ("http://h/snap?user=a&password=pw&x=1", "http://h/snap?user=a&password=•••&x=1"),
        ("/var/clips/a.mp4", "/var/clips/a.mp4"),
    ],
)
def test_sources_are_masked_for_admins(source: str, shown: str) -> None:
    assert masked_source(source) == shown
