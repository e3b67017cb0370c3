"""No input answers 5xx: non-finite numbers, NUL and control characters, far dates, integers
past what a column holds (issue #10). Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from metrica.domain.fields import SAFE_TEXT_RULE
from metrica.server.cameras.models import CameraHeartbeat
from metrica.server.events.models import EventRow
from metrica.server.state import AppState
from tests.server.hostile import JSON, World, event, heartbeat, make_world, raw_json

AUTH_BODIES: dict[str, dict[str, Any]] = {
    "/auth/login": {"email": "owner@example.com", "password": "pw-owner-1"},
    "/auth/code/request": {"email": "owner@example.com"},
    "/auth/code/verify": {"email": "owner@example.com", "code": "123456"},
    "/auth/invitations/accept": {"token": "t" * 32, "password": "new-password-1"},
}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "[NaN]"])
@pytest.mark.parametrize("path", sorted(AUTH_BODIES))
async def test_non_finite_json_literal_as_the_body_is_422(
    client: httpx.AsyncClient, path: str, literal: str
) -> None:
    r = await client.post(path, content=literal, headers=JSON)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("path", sorted(AUTH_BODIES))
async def test_non_finite_numbers_in_fields_are_422(client: httpx.AsyncClient, path: str) -> None:
    body = dict.fromkeys(AUTH_BODIES[path], float("nan"))
    r = await client.post(path, content=raw_json(body), headers=JSON)
    assert r.status_code == 422, r.text


async def test_non_finite_floats_are_refused_where_floats_are_fields(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    beat_url = f"/cameras/{w.camera.id}/heartbeat"
    lines_url = f"/admin/cameras/{w.camera.id}/lines"
    for value in (float("nan"), float("inf"), float("-inf")):
        for name in ("fps", "uptime_s"):
            body = raw_json(heartbeat(**{name: value}))
            r = await client.post(beat_url, content=body, headers=JSON | w.worker_headers)
            assert r.status_code == 422, (name, value, r.text)
        line = {"line_id": "door", "x1": value, "y1": 0.5, "x2": 0.9, "y2": 0.5}
        r = await client.put(lines_url, content=raw_json([line]), headers=JSON | w.admin_headers)
        assert r.status_code == 422, r.text


BAD_TEXT = ["a\x00b", "\x00", "tab\tinside", "esc\x1b[2J", "del\x7f", "c1\x85", "\u202eevil"]


async def test_control_characters_are_422_in_every_auth_field(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """NUL in an email reached PostgreSQL (`invalid byte sequence 0x00`): 500."""
    await make_world(state)
    for text in BAD_TEXT:
        for path, body in AUTH_BODIES.items():
            for name in body:
                r = await client.post(path, json=body | {name: body[name] + text})
                assert r.status_code == 422, (text, path, name, r.text)
                assert r.json()["detail"][0]["loc"] == ["body", name]


async def test_lone_surrogate_is_422(client: httpx.AsyncClient, state: AppState) -> None:
    w = await make_world(state)
    body = b'{"email": "owner@example.com", "password": "x\\ud800"}'
    assert (await client.post("/auth/login", content=body, headers=JSON)).status_code == 422
    r = await client.post(
        "/admin/stores",
        content=b'{"name": "\\udfff", "timezone": "Europe/Berlin"}',
        headers=JSON | w.admin_headers,
    )
    assert r.status_code == 422, r.text
    for field in ("line_id", "camera_id"):
        sent = json.dumps({"events": [event(w.camera.id, **{field: "door\ud800"})]})
        assert "\\ud800" in sent
        r = await client.post("/events", content=sent, headers=JSON | w.worker_headers)
        assert r.status_code == 422, (field, r.text)


@pytest.mark.parametrize("text", ["a\x00b", "esc\x1b", "\u202e"])
async def test_control_characters_are_422_in_every_other_string_field(
    client: httpx.AsyncClient, state: AppState, text: str
) -> None:
    """NUL in a heartbeat version or a store name reached PostgreSQL: 500."""
    w = await make_world(state)
    cam = w.camera.id
    admin, worker = w.admin_headers, w.worker_headers
    attempts: list[tuple[str, str, dict[str, str], Any]] = [
        ("POST", f"/cameras/{cam}/heartbeat", worker, heartbeat(version="1.0" + text)),
        ("POST", "/events", worker, {"events": [event(cam, line_id="door" + text)]}),
        ("POST", "/events", worker, {"events": [event(cam, camera_id=str(cam) + text)]}),
        ("POST", "/admin/stores", admin, {"name": "Shop" + text, "timezone": "Europe/Berlin"}),
        ("POST", "/admin/stores", admin, {"name": "Shop", "timezone": "Europe/Berlin" + text}),
        ("PATCH", f"/admin/stores/{w.store.id}", admin, {"name": "Shop" + text}),
        ("POST", f"/admin/stores/{w.store.id}/owners", admin, {"email": f"a{text}@b.example"}),
        ("POST", "/admin/cameras", admin, {"store_id": str(w.store.id), "name": "Cam" + text}),
        ("PATCH", f"/admin/cameras/{cam}", admin, {"name": "Cam" + text}),
        (
            "PUT",
            f"/admin/cameras/{cam}/lines",
            admin,
            [
                {
                    "line_id": "door",
                    "name": "Door" + text,
                    "x1": 0.1,
                    "y1": 0.5,
                    "x2": 0.9,
                    "y2": 0.5,
                }
            ],
        ),
    ]
    for method, url, headers, body in attempts:
        r = await client.request(method, url, json=body, headers=headers)
        assert r.status_code == 422, (method, url, r.status_code, r.text)
        # The events' text is checked by a pattern in Rust: named in words, not as a regex.
        assert not any("pattern" in issue["msg"] for issue in r.json()["detail"]), r.text
        if url == "/events":
            assert r.json()["detail"][0]["msg"] == SAFE_TEXT_RULE


FAR_INSTANTS = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-05:00",
    "1900-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
    "2100-01-01T00:00:00Z",
]


async def test_occurred_at_outside_2000_to_2100_is_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    for instant in FAR_INSTANTS:
        batch = {"events": [event(w.camera.id, occurred_at=instant)]}
        r = await client.post("/events", json=batch, headers=w.worker_headers)
        assert r.status_code == 422, (instant, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", "events", 0, "occurred_at"]


async def test_occurred_at_from_2000_on_is_stored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    batch = {"events": [event(w.camera.id, occurred_at="2000-01-01T00:00:00+00:00")]}
    r = await client.post("/events", json=batch, headers=w.worker_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0, "denied": 0}


PERIODS = ("day", "week", "month")


async def test_dashboard_dates_outside_2000_to_2099_are_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    for day in ("0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"):
        for period in PERIODS:
            params = {"period": period, "date": day}
            r = await client.get(f"/dashboard/{w.store.id}", params=params, headers=w.owner_headers)
            assert r.status_code == 422, (params, r.text)


async def test_dashboard_answers_at_both_ends_of_the_range(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    for day in ("2000-01-01", "2099-12-31"):
        for period in PERIODS:
            params = {"period": period, "date": day}
            r = await client.get(f"/dashboard/{w.store.id}", params=params, headers=w.owner_headers)
            assert r.status_code == 200, (params, r.text)


async def test_track_id_past_the_json_integer_bound_is_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    for track_id in (-1, 2**53, 2**63, 2**64, 10**30):
        batch = {"events": [event(w.camera.id, track_id=track_id)]}
        r = await client.post("/events", json=batch, headers=w.worker_headers)
        assert r.status_code == 422, (track_id, r.text)


async def test_largest_track_id_is_stored(client: httpx.AsyncClient, state: AppState) -> None:
    w = await make_world(state)
    batch = {"events": [event(w.camera.id, track_id=2**53 - 1)]}
    r = await client.post("/events", json=batch, headers=w.worker_headers)
    assert r.status_code == 200, r.text
    async with state.sessions() as session:
        payload = await session.scalar(select(EventRow.payload))
    assert payload == {"track_id": 2**53 - 1}


async def test_heartbeat_frame_counters_past_32_bits_are_stored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """2**31 frames is 828 days at 30 fps: a real worker gets there (bigint columns)."""
    w = await make_world(state)
    url = f"/cameras/{w.camera.id}/heartbeat"
    for frames in (2**31, 2**40, 2**53 - 1):
        beat = heartbeat(frames_processed=frames, frames_dropped=frames)
        r = await client.post(url, json=beat, headers=w.worker_headers)
        assert r.status_code == 204, r.text
        async with state.sessions() as session:
            row = await session.get(CameraHeartbeat, w.camera.id)
        assert row is not None
        assert (row.frames_processed, row.frames_dropped) == (frames, frames)


async def test_heartbeat_values_no_column_holds_are_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    url = f"/cameras/{w.camera.id}/heartbeat"
    for name, value in [
        ("frames_processed", str(2**53)),
        ("frames_processed", str(2**63)),
        ("frames_processed", "-1"),
        ("frames_dropped", str(2**64)),
        ("outbox_depth", str(2**31)),
        ("outbox_depth", "-1"),
        ("fps", "1e400"),
        ("uptime_s", "-1e400"),
    ]:
        body = raw_json(heartbeat(**{name: "__V__"})).replace(b'"__V__"', value.encode())
        r = await client.post(url, content=body, headers=JSON | w.worker_headers)
        assert r.status_code == 422, (name, value, r.text)


async def test_lines_per_camera_are_bounded(client: httpx.AsyncClient, state: AppState) -> None:
    w = await make_world(state)
    lines = [{"line_id": f"l{i}", "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5} for i in range(33)]
    r = await client.put(f"/admin/cameras/{w.camera.id}/lines", json=lines, headers=w.admin_headers)
    assert r.status_code == 422, r.text
    r = await client.put(
        f"/admin/cameras/{w.camera.id}/lines", json=lines[:32], headers=w.admin_headers
    )
    assert r.status_code == 200, r.text


async def test_duplicate_line_ids_are_a_validation_error_naming_the_line(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    line = {"line_id": "door", "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5}
    r = await client.put(
        f"/admin/cameras/{w.camera.id}/lines", json=[line, line], headers=w.admin_headers
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": ["body", 1, "line_id"],
            "msg": "line_id values must be unique",
            "type": "value_error.duplicate",
        }
    ]


async def test_concurrent_write_conflict_is_409_not_500(
    client: httpx.AsyncClient, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins adding the same new owner at once: the second insert hits the unique
    email. Simulated by hiding the existing user from the lookup."""
    from metrica.server.auth import service as auth

    w = await make_world(state)

    async def not_found(**_: object) -> None:
        return None

    monkeypatch.setattr(auth, "by_email", not_found)
    r = await client.post(
        f"/admin/stores/{w.store.id}/owners",
        json={"email": "owner@example.com"},
        headers=w.admin_headers,
    )
    assert r.status_code == 409, r.text
    assert r.json() == {
        "detail": "conflicting change (a concurrent write or a deleted row); try again"
    }


def _now() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=1)


async def test_world_fixture_accepts_a_plain_event(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """The baseline the tests above mutate is itself accepted."""
    w: World = await make_world(state)
    r = await client.post(
        "/events",
        json={"events": [event(w.camera.id, occurred_at=_now().isoformat())]},
        headers=w.worker_headers,
    )
    assert r.status_code == 200, r.text


async def test_the_migrations_give_exactly_the_models_schema(state: AppState) -> None:
    """Column types included: the frame counters are bigint in the database, not only in
    the models (migration 0002)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from metrica.server.events.partitions import include_name
    from metrica.server.models import Base

    opts = {"compare_type": True, "include_name": include_name}  # partitions aren't models
    async with state.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts=opts), Base.metadata)
        )
    assert diff == []
