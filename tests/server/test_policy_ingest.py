"""Privacy policies at ingest, on SQLite and PostgreSQL: denied events are not stored (not
even their ids), dropped fields never reach the database, per-store rules come after the
global ones, and a bad file stops the start with its line and the reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from metrica.cli import main
from metrica.server.app import create_app
from metrica.server.events.models import EventIdRow, EventRow, HourlyCount
from metrica.server.policies.loader import PolicyFileError
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.factories import crossing, make_camera, make_store
from tests.server.policy_support import app_with_policy, write_policies

# Europe/Berlin in January is UTC+1: 21:30 UTC is 22:30 local, 20:30 UTC is 21:30 local.
NIGHT = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)
EVENING = datetime(2026, 1, 15, 20, 30, tzinfo=UTC)


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def _stored(state: AppState) -> list[EventRow]:
    async with state.sessions() as session:
        return list((await session.scalars(select(EventRow).order_by(EventRow.occurred_at))).all())


async def _claimed(state: AppState, event_id: str) -> bool:
    async with state.sessions() as session:
        return await session.get(EventIdRow, uuid.UUID(event_id)) is not None


async def _post(client: httpx.AsyncClient, key: str, events: list[dict[str, object]]) -> object:
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_camera_is_denied_at_night_in_the_store_timezone(
    state: AppState, settings: Settings, tmp_path: Path
) -> None:
    store = await make_store(state, timezone="Europe/Berlin")
    night_cam, night_key = await make_camera(state, store, name="Yard")
    other_cam, other_key = await make_camera(state, store, name="Door")
    policy = f"""\
rules:
  - event: line_crossed
    action: deny
    stage: ingest
    cameras: [{night_cam.id}]
    hours: {{start: "22:00", end: "06:00"}}
"""
    denied_before = _sample("metrica_events_policy_denied_total")
    async with app_with_policy(settings, tmp_path, policy) as (policed, client):
        denied = crossing(night_cam, "in", NIGHT)
        kept = crossing(night_cam, "in", EVENING)
        assert await _post(client, night_key, [denied, kept]) == {
            "accepted": 1,
            "duplicates": 0,
            "denied": 1,
        }
        # the same rule does not touch another camera of the store
        assert await _post(client, other_key, [crossing(other_cam, "out", NIGHT)]) == {
            "accepted": 1,
            "duplicates": 0,
            "denied": 0,
        }
        rows = await _stored(policed)
        assert {(r.camera_id, r.occurred_at) for r in rows} == {
            (night_cam.id, EVENING),
            (other_cam.id, NIGHT),
        }
        assert not await _claimed(policed, denied["event_id"])  # not even its id is kept
        async with policed.sessions() as session:
            assert await session.scalar(select(func.sum(HourlyCount.in_count))) == 1
        # sent again (a box that did not hear the answer): denied again, never a duplicate
        assert await _post(client, night_key, [denied]) == {
            "accepted": 0,
            "duplicates": 0,
            "denied": 1,
        }
    assert _sample("metrica_events_policy_denied_total") == denied_before + 2


async def test_the_hours_start_on_the_minute_within_one_batch(
    state: AppState, settings: Settings, tmp_path: Path
) -> None:
    store = await make_store(state, timezone="Europe/Berlin")
    camera, key = await make_camera(state, store)
    policy = """\
rules:
  - {action: deny, stage: ingest, hours: {start: "22:00", end: "06:00"}}
"""
    before = datetime(2026, 1, 15, 20, 59, 59, tzinfo=UTC)  # 21:59:59 in Berlin
    on_the_minute = datetime(2026, 1, 15, 21, 0, tzinfo=UTC)  # 22:00:00
    morning = datetime(2026, 1, 16, 5, 0, tzinfo=UTC)  # 06:00:00, open again
    async with app_with_policy(settings, tmp_path, policy) as (policed, client):
        events = [crossing(camera, "in", t) for t in (before, on_the_minute, morning)]
        assert await _post(client, key, events) == {"accepted": 2, "duplicates": 0, "denied": 1}
        assert [r.occurred_at for r in await _stored(policed)] == [before, morning]


async def test_track_ids_are_dropped_before_storage(
    state: AppState, settings: Settings, tmp_path: Path
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    policy = "rules:\n  - {event: line_crossed, field: track_id, action: drop, stage: ingest}\n"
    redacted_before = _sample("metrica_events_policy_redacted_total")
    async with app_with_policy(settings, tmp_path, policy) as (policed, client):
        events = [crossing(camera, "in", EVENING), crossing(camera, "out", NIGHT)]
        assert await _post(client, key, events) == {"accepted": 2, "duplicates": 0, "denied": 0}
        rows = await _stored(policed)
        assert [r.payload for r in rows] == [{}, {}]
        assert [r.direction for r in rows] == ["in", "out"]  # the counts are whole
    assert _sample("metrica_events_policy_redacted_total") == redacted_before + 2


async def test_without_a_policy_track_ids_are_kept(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    await _post(client, key, [crossing(camera, "in", EVENING)])
    assert [r.payload for r in await _stored(state)] == [{"track_id": 1}]


async def test_store_rules_come_after_the_global_ones(
    state: AppState, settings: Settings, tmp_path: Path
) -> None:
    """Globally: every event denied and track ids dropped. One store's own file allows its
    events back (and keeps track ids); another store stays under the global rules."""
    allowed = await make_store(state, name="Allowed")
    global_only = await make_store(state, name="Global")
    cam_a, key_a = await make_camera(state, allowed)
    cam_g, key_g = await make_camera(state, global_only)
    policy = """\
rules:
  - {action: deny, stage: ingest}
  - {field: track_id, action: drop, stage: ingest}
"""
    own = """\
rules:
  - {event: line_crossed, action: allow, stage: ingest}
  - {event: line_crossed, field: track_id, action: allow, stage: ingest}
"""
    async with app_with_policy(settings, tmp_path, policy, {allowed.id: own}) as (
        policed,
        client,
    ):
        assert await _post(client, key_a, [crossing(cam_a, "in", EVENING)]) == {
            "accepted": 1,
            "duplicates": 0,
            "denied": 0,
        }
        assert await _post(client, key_g, [crossing(cam_g, "in", EVENING)]) == {
            "accepted": 0,
            "duplicates": 0,
            "denied": 1,
        }
        rows = await _stored(policed)
        assert [(r.store_id, r.payload) for r in rows] == [(allowed.id, {"track_id": 1})]


BAD = [
    ("rules:\n  - {event: line_crossed, action: deny, stage: ingest, roles: [owner]}\n",
     "policy.yaml:2: rules.0", "roles apply when reading"),
    ("rules:\n  - event: line_crossed\n    field: line_id\n    action: drop\n    stage: ingest\n",
     "policy.yaml:3: rules.0.field", "the counts are made of 'line_id'"),
    ("rules:\n  - event: plate_read\n    field: txt\n    action: redact\n",
     "policy.yaml:3: rules.0.field", "plate_read events have no field 'txt'"),
    ("rules:\n  - event: parked\n    action: deny\n",
     "policy.yaml:2: rules.0.event", "unknown event type 'parked'"),
    ("rules:\n  - event: plate_read\n    action: deny\n    stage: ingest\n",
     "policy.yaml:4: rules.0.stage", "made on the server"),
    ("rules:\n  - {event: line_crossed, field: track_id, action: redact, stage: ingest}\n",
     "policy.yaml:2: rules.0.action", "drop it at ingest"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "where", "why"), BAD)
def test_a_bad_global_file_stops_the_start(
    settings: Settings, tmp_path: Path, text: str, where: str, why: str
) -> None:
    named = write_policies(tmp_path, text)
    with pytest.raises(PolicyFileError) as refused:
        create_app(settings.model_copy(update=named))
    assert where in str(refused.value)
    assert why in str(refused.value)


def test_a_bad_store_file_stops_the_start(settings: Settings, tmp_path: Path) -> None:
    store_id = uuid.uuid4()
    named = write_policies(tmp_path, None, {store_id: "rules:\n  - {action: blur}\n"})
    with pytest.raises(PolicyFileError, match=rf"{store_id}.yaml:2: rules.0.action"):
        create_app(settings.model_copy(update=named))
    (tmp_path / "stores" / "not-a-store.yaml").write_text("rules: []\n")
    (tmp_path / "stores" / f"{store_id}.yaml").unlink()
    with pytest.raises(PolicyFileError, match="must be a store id"):
        create_app(settings.model_copy(update=named))


def test_serve_refuses_a_bad_policy_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("rules:\n  - event: line_crossed\n    action: explode\n")
    monkeypatch.setenv("METRICA_POLICY_FILE", str(bad))
    monkeypatch.setenv("METRICA_ENVIRONMENT", "test")
    monkeypatch.setenv("METRICA_QUEUE_REDIS_URL", "redis://127.0.0.1:1/0")  # no plate reader
    monkeypatch.setenv("METRICA_SECRET_KEY", "test-secret-not-for-production-0123456789")
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["serve", "--db-url", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{bad}:3: rules.0.action" in err
