"""Accuracy audits through the real app: a worker is asked for a clip and uploads it, the
clip is counted with the camera's lines (the real detector), marked, scored, exported; the
clip log says who asked and who watched; caps, types and scoping hold."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from metrica.domain.audits import score_audit
from metrica.domain.crossing_match import FrameCrossing
from metrica.edge.recorder import cut_clip
from metrica.evaluation.clip_counter import OnnxClipCounter
from metrica.server.audits.lifecycle import resume_counting
from metrica.server.audits.models import Recording
from metrica.server.audits.service import purge_expired
from metrica.server.cameras import service as cameras
from metrica.server.cameras.schemas import LineSpec
from metrica.server.state import AppState
from tests.server.factories import bearer, make_camera, make_store, make_user
from tests.support.data import truth, video

INDOOR = truth("indoor_one_by_one")
CLIP_SECONDS = 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """12 s of the shared indoor clip as H.264 MP4, made by the worker's own recorder."""
    path = tmp_path_factory.mktemp("clips") / "indoor.mp4"
    assert cut_clip(video("indoor_one_by_one.mp4"), path, CLIP_SECONDS) == CLIP_SECONDS * 10
    return path.read_bytes()


@pytest.fixture(scope="module")
def webm_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A few frames of VP8 WebM (what boxes recorded before H.264), as an admin may upload."""
    path = tmp_path_factory.mktemp("clips") / "old.webm"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"VP80"), 10, (64, 48))
    for value in range(0, 200, 20):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    return path.read_bytes()


async def setup(state: AppState) -> tuple[dict[str, str], dict[str, str], Any, str, Any]:
    admin = await make_user(state, "admin@example.com", role="superadmin")
    owner = await make_user(state, "owner@example.com")
    store = await make_store(state, owner=owner)
    camera, key = await make_camera(state, store)
    async with state.sessions() as session:
        specs = [
            LineSpec(line_id=line.line_id, x1=line.x1, y1=line.y1, x2=line.x2, y2=line.y2)
            for line in INDOOR.lines
        ]
        await cameras.replace_lines(session=session, camera=camera, specs=specs)
        await session.commit()
    state.clip_counter = OnnxClipCounter()
    return bearer(state, admin), bearer(state, owner), camera, key, store


async def wait_counted(
    client: httpx.AsyncClient, rid: str, headers: dict[str, str]
) -> dict[str, Any]:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        body: dict[str, Any] = (
            await client.get(f"/admin/recordings/{rid}", headers=headers)
        ).json()
        if body["status"] in ("ready", "failed"):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError("the clip was not counted in time")


@pytest.mark.timeout(180)  # the real detector counts 120 frames, on a busy machine too
async def test_requested_clip_is_counted_marked_scored_and_logged(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    admin, owner, camera, key, store = await setup(state)
    worker = {"X-Worker-Key": key}
    assert (
        await client.get(f"/cameras/{camera.id}/recordings/pending", headers=worker)
    ).json() == {
        "recording_id": None,
        "seconds": 0,
    }
    asked = await client.post(
        f"/admin/cameras/{camera.id}/recordings", json={"seconds": 60}, headers=admin
    )
    assert asked.status_code == 201, asked.text
    rid = asked.json()["id"]
    assert asked.json()["status"] == "requested"
    again = await client.post(
        f"/admin/cameras/{camera.id}/recordings", json={"seconds": 60}, headers=admin
    )
    assert again.status_code == 409
    pending = (await client.get(f"/cameras/{camera.id}/recordings/pending", headers=worker)).json()
    assert pending == {"recording_id": rid, "seconds": 60}

    put = await client.put(
        f"/cameras/{camera.id}/recordings/{rid}/clip",
        content=clip,
        headers={**worker, "Content-Type": "video/mp4"},
    )
    assert put.status_code == 204, put.text
    twice = await client.put(
        f"/cameras/{camera.id}/recordings/{rid}/clip", content=b"x", headers=worker
    )
    assert twice.status_code == 409

    ready = await wait_counted(client, rid, admin)
    assert ready["status"] == "ready", ready["error"]
    assert (ready["fps"], ready["frames"]) == (10.0, CLIP_SECONDS * 10)
    assert [line["line_id"] for line in ready["lines"]] == ["R1", "R2"]
    assert ready["content_type"] == "video/mp4"

    watched = await client.get(f"/admin/recordings/{rid}/clip", headers=admin)
    assert watched.status_code == 200
    assert watched.content == clip
    assert watched.headers["content-type"] == "video/mp4"

    truth_marks = [c for c in INDOOR.crossings if c.frame < CLIP_SECONDS * 10]
    assert truth_marks, "the clip holds at least one true crossing"
    marks: list[dict[str, Any]] = [
        {"line": c.line_id, "direction": c.direction, "frame": c.frame} for c in truth_marks
    ]
    marks.append({"line": "R2", "direction": "in", "frame": 5})  # a mark the counter misses
    for wrong in ({"line": "nope", "direction": "in", "frame": 1}, {**marks[0], "frame": 120}):
        refused = await client.put(
            f"/admin/recordings/{rid}/marks", json={"marks": [wrong]}, headers=admin
        )
        assert refused.status_code == 400, wrong
    saved = await client.put(f"/admin/recordings/{rid}/marks", json={"marks": marks}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["marks_count"] == len(marks)

    scored = await client.post(f"/admin/recordings/{rid}/score", headers=admin)
    assert scored.status_code == 201, scored.text
    result = scored.json()
    async with state.sessions() as session:
        row = await session.get(Recording, uuid.UUID(rid))
        assert row is not None
        predicted = [FrameCrossing(p["line"], p["direction"], p["frame"]) for p in row.predicted]
    expected = score_audit(
        ["R1", "R2"], [FrameCrossing(m["line"], m["direction"], m["frame"]) for m in marks],
        predicted, 10.0,
    )  # fmt: skip
    assert result["true_crossings"] == len(marks)
    assert result["matched"] == expected.score.tp
    assert result["count_accuracy"] == round(expected.score.count_accuracy, 4)
    assert {"line": "R2", "direction": "in", "frame": 5, "t_s": 0.5} in result["misses"]
    assert len(result["extras"]) == expected.score.fp

    exported = (await client.get(f"/admin/recordings/{rid}/truth", headers=admin)).json()
    assert exported["fps"] == 10.0
    assert exported["frames"] == CLIP_SECONDS * 10
    assert exported["lines"][0] == {"id": "R1", "p1": [0.9, 0.95], "p2": [0.1, 0.95]}
    assert len(exported["crossings"]) == len(marks)

    history = (await client.get(f"/admin/cameras/{camera.id}/audits", headers=admin)).json()
    assert history["count"] == 1
    assert history["data"][0]["id"] == result["id"]
    check = (await client.get(f"/stores/{store.id}/count-check", headers=owner)).json()["check"]
    assert check["true_crossings"] == len(marks)
    assert check["count_accuracy"] == result["count_accuracy"]

    log = (await client.get(f"/admin/cameras/{camera.id}/recordings/log", headers=admin)).json()
    actions = [(e["actor"], e["action"]) for e in reversed(log["data"])]
    assert actions == [
        ("admin@example.com", "request"),
        ("worker", "upload"),
        ("admin@example.com", "watch"),
        ("admin@example.com", "score"),
        ("admin@example.com", "export"),
    ]


async def test_owner_and_other_cameras_are_refused(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin, owner, camera, key, store = await setup(state)
    other, _ = await make_camera(state, store, name="Back door")
    assert (
        await client.post(
            f"/admin/cameras/{camera.id}/recordings", json={"seconds": 60}, headers=owner
        )
    ).status_code == 403
    assert (
        await client.get(f"/cameras/{other.id}/recordings/pending", headers={"X-Worker-Key": key})
    ).status_code == 403
    stranger = await make_user(state, "stranger@example.com")
    assert (
        await client.get(f"/stores/{store.id}/count-check", headers=bearer(state, stranger))
    ).status_code == 404
    assert (await client.get(f"/stores/{store.id}/count-check", headers=owner)).json() == {
        "check": None
    }
    for seconds in (59, 601, "NaN", 2**63, None):
        bad = await client.post(
            f"/admin/cameras/{camera.id}/recordings", json={"seconds": seconds}, headers=admin
        )
        assert bad.status_code == 422, seconds


@pytest.mark.timeout(180)
async def test_uploads_are_sniffed_capped_and_expire(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    admin, _, camera, _, _ = await setup(state)
    url = f"/admin/cameras/{camera.id}/recordings/upload"
    refused = await client.post(url, content=b"GIF89a not a video\x00", headers=admin)
    assert refused.status_code == 415
    state.settings.recording_max_bytes = 1000
    assert (await client.post(url, content=clip, headers=admin)).status_code == 413
    state.settings.recording_max_bytes = 300 * 1024**2
    state.clip_counter = None
    made = await client.post(url, content=clip, headers=admin)
    assert made.status_code == 201
    rid = made.json()["id"]
    failed = await wait_counted(client, rid, admin)
    assert failed["status"] == "failed"
    assert "no clip counter" in failed["error"]
    bad_marks = await client.put(
        f"/admin/recordings/{rid}/marks",
        json={"marks": [{"line": "R1", "direction": "in", "frame": 1}]},
        headers=admin,
    )
    assert bad_marks.status_code == 409

    removed = await purge_expired(
        sessions=state.sessions,
        blobs=state.blobs,
        now=state.clock() + timedelta(days=state.settings.retention_recordings_days, hours=1),
        days=state.settings.retention_recordings_days,
    )
    assert removed == 1
    assert (await client.get(f"/admin/recordings/{rid}", headers=admin)).status_code == 404
    log = (await client.get(f"/admin/cameras/{camera.id}/recordings/log", headers=admin)).json()
    assert [e["action"] for e in log["data"]][:1] == ["expire"]


@pytest.mark.timeout(180)
async def test_a_clip_left_uncounted_by_a_stopped_server_is_counted_after_a_start(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    admin, _, camera, _, _ = await setup(state)
    recording_id = uuid.uuid4()
    key = f"recordings/{camera.id}/{recording_id}.mp4"
    await state.blobs.put(key, clip)
    async with state.sessions() as session:
        session.add(
            Recording(
                id=recording_id,
                camera_id=camera.id,
                store_id=camera.store_id,
                source="upload",
                status="counting",  # the server stopped here
                requested_by="admin@example.com",
                blob_key=key,
                content_type="video/mp4",
                size_bytes=len(clip),
            )
        )
        await session.commit()
    assert await resume_counting(state) == 1
    body = await wait_counted(client, str(recording_id), admin)
    assert body["status"] == "ready", body["error"]
    assert body["frames"] == CLIP_SECONDS * 10
    assert await resume_counting(state) == 0


@pytest.mark.timeout(180)
async def test_a_deleted_cameras_clips_leave_the_blob_store_at_the_next_purge(
    client: httpx.AsyncClient, state: AppState, webm_clip: bytes
) -> None:
    admin, _, camera, _, _ = await setup(state)
    state.clip_counter = None  # counting is not the point here
    made = await client.post(
        f"/admin/cameras/{camera.id}/recordings/upload", content=webm_clip, headers=admin
    )
    assert made.status_code == 201
    assert made.json()["content_type"] == "video/webm", "a WebM uploaded by hand is accepted"
    rid = made.json()["id"]
    await wait_counted(client, rid, admin)
    async with state.sessions() as session:
        row = await session.get(Recording, uuid.UUID(rid))
        assert row is not None
        assert row.blob_key is not None
        key = row.blob_key
    assert await state.blobs.exists(key)
    assert (await client.delete(f"/admin/cameras/{camera.id}", headers=admin)).status_code == 204
    assert (await client.get(f"/admin/recordings/{rid}", headers=admin)).status_code == 404
    removed = await purge_expired(
        sessions=state.sessions, blobs=state.blobs, now=state.clock(), days=14
    )
    assert removed == 1
    assert not await state.blobs.exists(key)
