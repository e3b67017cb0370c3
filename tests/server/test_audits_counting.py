"""An audit counts a clip the way the camera's worker counts: a fleet camera's box settings
(model, input size, stride) reach the clip counter, the recording says what counted it,
a camera no box runs is counted with the defaults, and a model this server lacks fails the
audit with a message naming it (the real counter: it fails before any detection)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from metrica.domain.audits import (
    DEFAULT_COUNTING,
    ClipCount,
    CountingSettings,
    every_nth,
)
from metrica.domain.geometry import CountingLine
from metrica.edge.recorder import ClipRecorder
from metrica.evaluation.clip_counter import OnnxClipCounter
from metrica.server.state import AppState
from tests.server.factories import bearer, make_box, make_camera, make_store, make_user

SOURCE = "rtsp://viewer:pw@10.0.0.7:554/stream1"


class RecordingCounter:
    """A `ClipCounter` that notes the settings it is handed (the protocol boundary)."""

    def __init__(self) -> None:
        self.calls: list[CountingSettings] = []

    def count(
        self,
        path: Path,
        lines: Sequence[CountingLine],
        settings: CountingSettings = DEFAULT_COUNTING,
    ) -> ClipCount:
        self.calls.append(settings)
        used = f"{settings.model} @ {settings.input_size}, {every_nth(settings.stride)}"
        return ClipCount(fps=10.0, frames=4, width=64, height=48, crossings=[], counted_with=used)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Four grey frames as the worker's recorder writes them (H.264 MP4)."""
    path = tmp_path_factory.mktemp("clips") / "tiny.mp4"
    recorder = ClipRecorder(path, 10, (64, 48), 4)
    for value in (40, 80, 120, 160):
        recorder.add(np.full((48, 64, 3), value, np.uint8))
    recorder.close()
    return path.read_bytes()


async def counted(
    client: httpx.AsyncClient, admin: dict[str, str], camera_id: object, clip: bytes
) -> dict[str, Any]:
    made = await client.post(
        f"/admin/cameras/{camera_id}/recordings/upload", content=clip, headers=admin
    )
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = (await client.get(f"/admin/recordings/{rid}", headers=admin)).json()
        if body["status"] in ("ready", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the clip was not counted in time")


async def fleet_camera(
    client: httpx.AsyncClient, state: AppState, settings: dict[str, Any]
) -> tuple[dict[str, str], Any]:
    """A superadmin, and a camera with these fleet settings run by a box of its store."""
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store = await make_store(state)
    camera, _ = await make_camera(state, store)
    box_id, _ = await make_box(state, store)
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/settings",
        json={"source": SOURCE, **settings},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/box", json={"box_id": box_id}, headers=admin
    )
    assert r.status_code == 200, r.text
    return admin, camera


async def test_a_box_cameras_settings_reach_the_counter(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    counter = RecordingCounter()
    state.clip_counter = counter
    admin, camera = await fleet_camera(
        client, state, {"model": "yolo11n", "input_size": 320, "stride": 3}
    )
    body = await counted(client, admin, camera.id, clip)
    assert body["status"] == "ready", body["error"]
    assert counter.calls == [CountingSettings(model="yolo11n", input_size=320, stride=3)]
    assert body["counted_with"] == "yolo11n @ 320, every 3rd frame"
    listed = (await client.get(f"/admin/cameras/{camera.id}/recordings", headers=admin)).json()
    assert listed["data"][0]["counted_with"] == "yolo11n @ 320, every 3rd frame"

    # Off the box, the camera's worker (if any) runs with its own flags: the defaults.
    r = await client.put(
        f"/admin/fleet/cameras/{camera.id}/box", json={"box_id": None}, headers=admin
    )
    assert r.status_code == 200, r.text
    await counted(client, admin, camera.id, clip)
    assert counter.calls[-1] == DEFAULT_COUNTING


async def test_a_camera_no_box_runs_is_counted_with_the_defaults(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    counter = RecordingCounter()
    state.clip_counter = counter
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    camera, _ = await make_camera(state, await make_store(state))
    body = await counted(client, admin, camera.id, clip)
    assert body["status"] == "ready"
    assert counter.calls == [DEFAULT_COUNTING]
    assert body["counted_with"] == "None @ None, every frame"


async def test_a_model_this_server_lacks_fails_the_audit_naming_it(
    client: httpx.AsyncClient, state: AppState, clip: bytes
) -> None:
    state.clip_counter = OnnxClipCounter()
    admin, camera = await fleet_camera(client, state, {"model": "no-such-model", "stride": 1})
    body = await counted(client, admin, camera.id, clip)
    assert body["status"] == "failed"
    assert "model 'no-such-model'" in body["error"]
    assert "no_such_model.onnx" in body["error"], "says which file to install"
    assert body["counted_with"] == ""
