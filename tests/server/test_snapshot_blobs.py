"""Calibration snapshots live in the blob store, on SQLite and PostgreSQL: uploads write
the blob and the row points at it; snapshots written to the database before are served
until moved, and moved once; retention and deleting a camera or a store delete the blob."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import select

from metrica.server.app import create_app
from metrica.server.cameras import snapshots
from metrica.server.cameras.models import Camera, CameraSnapshot
from metrica.server.retention.service import run_retention
from metrica.server.state import AppState
from tests.server.factories import bearer, make_camera, make_store, make_user

NOW = datetime(2026, 3, 18, 15, 20, tzinfo=UTC)


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 8), (shade, shade, shade)).save(out, format="JPEG")
    return out.getvalue()


async def _upload(client: httpx.AsyncClient, camera: Camera, key: str, jpeg: bytes) -> None:
    r = await client.put(
        f"/cameras/{camera.id}/snapshot",
        content=jpeg,
        headers={"X-Worker-Key": key, "Content-Type": "image/jpeg"},
    )
    assert r.status_code == 204, r.text


async def _row(state: AppState, camera: Camera) -> CameraSnapshot | None:
    async with state.sessions() as session:
        return await session.get(CameraSnapshot, camera.id)


async def test_an_upload_goes_to_the_blob_store_and_is_served_from_it(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    await _upload(client, camera, key, _jpeg(10))
    row = await _row(state, camera)
    assert row is not None
    assert (row.blob_key, row.jpeg, row.width, row.height) == (
        f"snapshots/{camera.id}.jpg",
        None,
        16,
        8,
    )
    assert await state.blobs.get(row.blob_key) == _jpeg(10)
    await _upload(client, camera, key, _jpeg(200))  # replaces it
    r = await client.get(f"/admin/cameras/{camera.id}/snapshot", headers=admin)
    assert r.status_code == 200
    assert r.content == _jpeg(200)
    # deleting the camera deletes the image of people with it
    assert (await client.delete(f"/admin/cameras/{camera.id}", headers=admin)).status_code == 204
    assert not await state.blobs.exists(row.blob_key)


async def test_deleting_a_store_deletes_its_snapshots(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store, other = await make_store(state), await make_store(state, name="Other")
    camera, key = await make_camera(state, store)
    kept, kept_key = await make_camera(state, other)
    await _upload(client, camera, key, _jpeg(10))
    await _upload(client, kept, kept_key, _jpeg(20))
    assert (await client.delete(f"/admin/stores/{store.id}", headers=admin)).status_code == 204
    assert not await state.blobs.exists(snapshots.blob_key(camera.id))
    assert await state.blobs.get(snapshots.blob_key(kept.id)) == _jpeg(20)


async def test_snapshots_in_the_database_are_served_then_moved_once(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store = await make_store(state)
    made = [await make_camera(state, store, name=f"c{i}") for i in range(3)]
    cameras = [camera for camera, _ in made]
    async with state.sessions() as session:
        for i, camera in enumerate(cameras):  # as written before snapshots moved
            session.add(
                CameraSnapshot(camera_id=camera.id, taken_at=NOW, width=16, height=8, jpeg=_jpeg(i))
            )
        await session.commit()
    r = await client.get(f"/admin/cameras/{cameras[0].id}/snapshot", headers=admin)
    assert r.content == _jpeg(0)
    assert await snapshots.move_to_blobs(state.sessions, state.blobs) == 3
    assert await snapshots.move_to_blobs(state.sessions, state.blobs) == 0
    for i, camera in enumerate(cameras):
        row = await _row(state, camera)
        assert row is not None
        assert row.jpeg is None
        assert row.blob_key == f"snapshots/{camera.id}-moved.jpg"
        r = await client.get(f"/admin/cameras/{camera.id}/snapshot", headers=admin)
        assert r.content == _jpeg(i)
    # the next upload takes the usual key and removes the moved blob
    fresh, fresh_key = made[0]
    await _upload(client, fresh, fresh_key, _jpeg(99))
    assert not await state.blobs.exists(f"snapshots/{fresh.id}-moved.jpg")
    assert await state.blobs.get(snapshots.blob_key(fresh.id)) == _jpeg(99)


async def test_retention_deletes_old_snapshots_and_their_blobs(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    old, old_key = await make_camera(state, store, name="old")
    new, new_key = await make_camera(state, store, name="new")
    await _upload(client, old, old_key, _jpeg(1))
    await _upload(client, new, new_key, _jpeg(2))
    async with state.sessions() as session:
        row = await session.get(CameraSnapshot, old.id)
        assert row is not None
        row.taken_at = NOW - timedelta(days=31)
        fresh = await session.get(CameraSnapshot, new.id)
        assert fresh is not None
        fresh.taken_at = NOW - timedelta(days=29)
        await session.commit()
    settings = state.settings.model_copy(update={"retention_snapshots_days": 30})
    dry = await run_retention(state.engine, settings, now=NOW, dry_run=True, blobs=state.blobs)
    assert dry is not None
    assert {t.table: t.rows for t in dry.tables}["camera_snapshots"] == 1
    assert await state.blobs.exists(snapshots.blob_key(old.id))  # a dry run deletes nothing
    report = await run_retention(state.engine, settings, now=NOW, blobs=state.blobs, batch_size=1)
    assert report is not None
    assert {t.table: t.rows for t in report.tables}["camera_snapshots"] == 1
    assert not await state.blobs.exists(snapshots.blob_key(old.id))
    assert await state.blobs.get(snapshots.blob_key(new.id)) == _jpeg(2)
    async with state.sessions() as session:
        assert list(await session.scalars(select(CameraSnapshot.camera_id))) == [new.id]


async def test_a_blob_store_that_fails_is_a_503_not_a_500(
    client: httpx.AsyncClient, state: AppState, tmp_path: Path
) -> None:
    """A blob directory that cannot be used (here: a file where the directory should be)."""
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    await _upload(client, camera, key, _jpeg(10))  # through the working store
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"")
    broken = create_app(state.settings.model_copy(update={"blob_dir": blocked}))
    transport = httpx.ASGITransport(app=broken)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            r = await other.put(
                f"/cameras/{camera.id}/snapshot",
                content=_jpeg(20),
                headers={"X-Worker-Key": key, "Content-Type": "image/jpeg"},
            )
            assert r.status_code == 503
            assert "later" in r.json()["detail"]
            r = await other.get(f"/admin/cameras/{camera.id}/snapshot", headers=admin)
            assert r.status_code == 503
            assert str(blocked) not in r.text
    finally:
        await broken.state.metrica.engine.dispose()
    row = await _row(state, camera)
    assert row is not None
    assert await state.blobs.get(row.blob_key or "") == _jpeg(10)  # the last good one stays
