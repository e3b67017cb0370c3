"""Uploads become jobs that read plates (in-process queue, scripted reader), and the reads
are searched, viewed, exported and erased, every look audited — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import httpx
from sqlalchemy import func, select

from metrica.server.plates.models import PlateAudit, PlateReadRow
from metrica.server.plates.runner import read_id
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.plates.conftest import PlateWorld, upload_files, wait_for_job
from tests.server.plates.scripted import ScriptedProcessor, crop_for, scripted_upload


async def _upload(
    client: httpx.AsyncClient, world: PlateWorld, data: bytes, **kw: str
) -> dict[str, object]:
    r = await client.post(
        "/plates/uploads",
        params={"store_id": str(world.store.id)},
        files=upload_files(data, **kw),
        headers=world.headers(world.owner),
    )
    assert r.status_code == 202, r.text
    job: dict[str, object] = r.json()
    return job


async def test_an_upload_is_read_into_plate_reads_once(
    client: httpx.AsyncClient, world: PlateWorld, state: AppState
) -> None:
    job = await _upload(client, world, scripted_upload(["AB-123 CD", "XY 987"], frames=4))
    assert job["status"] == "queued"
    assert job["kind"] == "image"
    done = await wait_for_job(client, str(job["id"]), world.headers(world.owner))
    assert done["status"] == "done", done
    assert (done["progress_done"], done["progress_total"], done["plates_found"]) == (4, 4, 2)
    assert done["attempts"] == 1
    assert done["error"] is None
    job_id = uuid.UUID(str(job["id"]))
    async with state.sessions() as session:
        rows = (await session.scalars(select(PlateReadRow).order_by(PlateReadRow.text))).all()
    assert [(r.text, r.normalized, r.folded) for r in rows] == [
        ("AB-123 CD", "AB123CD", "A8123CD"),
        ("XY 987", "XY987", "XY987"),
    ]
    assert {r.id for r in rows} == {read_id(job_id, 0), read_id(job_id, 1)}
    assert await state.blobs.get(f"crops/{world.store.id}/{job_id}/0.jpg") == crop_for("AB-123 CD")

    r = await client.get(
        "/plates/jobs", params={"store_id": str(world.store.id)}, headers=world.headers(world.clerk)
    )
    assert [j["id"] for j in r.json()["jobs"]] == [str(job_id)]


async def test_search_exact_fuzzy_view_export_erase_and_the_audit_log(
    client: httpx.AsyncClient, world: PlateWorld, state: AppState, settings: Settings
) -> None:
    job = await _upload(client, world, scripted_upload(["AB123CD", "AB128CD", "ZZ999", "AB1234CD"]))
    await wait_for_job(client, str(job["id"]), world.headers(world.owner))
    clerk = world.headers(world.clerk)
    store = str(world.store.id)

    r = await client.get("/plates", params={"store_id": store, "q": "ab-123 cd"}, headers=clerk)
    assert r.status_code == 200
    assert [x["normalized"] for x in r.json()["results"]] == ["AB123CD"]
    # B/8, I/1, O/0 folded; then 1 edit (0/D) from AB123CD, 2 from AB128CD: one allowed
    # below 8 characters, two from 8
    r = await client.get(
        "/plates", params={"store_id": store, "q": "A8I23CO", "fuzzy": "true"}, headers=clerk
    )
    assert [x["normalized"] for x in r.json()["results"]] == ["AB123CD"]
    assert r.json()["total"] == 1
    r = await client.get(
        "/plates", params={"store_id": store, "q": "A8I234XY", "fuzzy": "true"}, headers=clerk
    )
    assert [x["normalized"] for x in r.json()["results"]] == ["AB1234CD"]
    r = await client.get(
        "/plates", params={"store_id": store, "q": "A8I23CO", "fuzzy": "false"}, headers=clerk
    )
    assert r.json() == {"results": [], "total": 0}

    r = await client.get("/plates", params={"store_id": store, "q": "AB123CD"}, headers=clerk)
    hit = r.json()["results"][0]
    assert hit["crop_url"] == f"/plates/reads/{hit['id']}/crop"
    r = await client.get(hit["crop_url"], headers=clerk)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.content == crop_for("AB123CD")

    r = await client.get(
        "/plates/export", params={"store_id": store, "plate": "ab 123 cd"}, headers=clerk
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    document = json.loads(archive.read("plates.json"))
    assert [x["normalized"] for x in document["reads"]] == ["AB123CD"]
    assert archive.read(f"crops/{hit['id']}.jpg") == crop_for("AB123CD")

    r = await client.get(
        "/plates/export.csv", params={"store_id": store, "q": "ZZ999"}, headers=clerk
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("occurred_at,text")
    assert len(lines) == 2
    assert ",ZZ999," in lines[1]

    r = await client.delete(
        "/plates", params={"store_id": store, "plate": "AB123CD"}, headers=clerk
    )
    assert r.json() == {"deleted_reads": 1, "deleted_crops": 1}
    async with state.sessions() as session:
        left = (await session.scalars(select(PlateReadRow.normalized))).all()
    assert sorted(left) == ["AB1234CD", "AB128CD", "ZZ999"]
    assert not await state.blobs.exists(f"crops/{world.store.id}/{job['id']}/0.jpg")
    assert await state.blobs.exists(f"crops/{world.store.id}/{job['id']}/1.jpg")

    r = await client.get(
        "/plates/audit", params={"store_id": store}, headers=world.headers(world.owner)
    )
    entries = r.json()["entries"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["search"] * 5 + ["view", "export", "export", "erase"]
    assert all(e["user_email"] == "clerk@example.com" for e in entries)
    text = json.dumps(entries)
    assert "AB123CD" not in text  # erased: only its HMAC remains, also in older entries
    assert "hmac:" in entries[0]["query"]
    assert entries[0]["result_count"] == 1
    assert entries[-1]["query"].startswith("q=hmac:")  # the first search, rewritten
    # clerks do not read the audit log
    r = await client.get("/plates/audit", params={"store_id": store}, headers=clerk)
    assert r.status_code == 404


async def test_cancel_and_retry(
    client: httpx.AsyncClient, world: PlateWorld, processor: ScriptedProcessor
) -> None:
    owner = world.headers(world.owner)
    job = await _upload(client, world, scripted_upload(["AA111"], frames=200, frame_s=0.02))
    r = await client.post(f"/plates/jobs/{job['id']}/retry", headers=owner)
    assert r.status_code == 409
    r = await client.post(f"/plates/jobs/{job['id']}/cancel", headers=owner)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    final = await wait_for_job(client, str(job["id"]), owner)
    assert final["status"] == "cancelled"
    r = await client.post(f"/plates/jobs/{job['id']}/retry", headers=owner)
    assert r.status_code == 200
    assert r.json()["status"] == "queued"
    final = await wait_for_job(client, str(job["id"]), owner, timeout_s=30)
    assert final["status"] == "done"
    assert final["plates_found"] == 1


async def test_a_failing_reader_is_retried_then_the_job_fails_with_its_reason(
    client: httpx.AsyncClient, world: PlateWorld, processor: ScriptedProcessor
) -> None:
    owner = world.headers(world.owner)
    processor.fail_first = 1
    job = await _upload(client, world, scripted_upload(["AA111"]))
    final = await wait_for_job(client, str(job["id"]), owner)
    assert (final["status"], final["attempts"], final["plates_found"]) == ("done", 2, 1)

    processor.fail_first, processor.runs = 99, 0
    job = await _upload(client, world, scripted_upload(["AA111"]))
    final = await wait_for_job(client, str(job["id"]), owner)
    assert final["status"] == "failed"
    assert final["attempts"] == 3
    assert final["error"] == "RuntimeError: the reader crashed"

    job = await _upload(client, world, scripted_upload([], fail="unreadable"))
    final = await wait_for_job(client, str(job["id"]), owner)
    assert (final["status"], final["attempts"]) == ("failed", 1)  # no retry helps
    assert final["error"] == "cannot decode this file"


async def test_uploads_refuse_what_is_not_media_and_what_is_too_big(
    client: httpx.AsyncClient, world: PlateWorld, state: AppState, settings: Settings
) -> None:
    owner = world.headers(world.owner)
    params = {"store_id": str(world.store.id)}
    r = await client.post(
        "/plates/uploads",
        params=params,
        headers=owner,
        files=upload_files(b"#!/bin/sh\necho hi\n", name="x.png", kind="image/png"),
    )
    assert r.status_code == 415
    assert "by its content" in r.json()["detail"]
    r = await client.post(
        "/plates/uploads",
        params=params,
        headers=owner,
        files=upload_files(b"\xff\xd8\xff\xe0 a jpeg", name="x.jpg", kind="text/html"),
    )
    assert r.status_code == 415
    big = b"\xff\xd8\xff\xe0" + b"x" * settings.plates_upload_max_bytes
    r = await client.post("/plates/uploads", params=params, headers=owner, files=upload_files(big))
    assert r.status_code == 413
    assert "bytes" in r.json()["detail"]
    r = await client.post("/plates/uploads", params=params, headers=owner, content=b"hello")
    assert r.status_code == 400
    r = await client.post(
        "/plates/uploads",
        params=params,
        headers=owner,
        files={"other": ("a.png", scripted_upload([]), "image/png")},
    )
    assert r.status_code == 400
    assert "'file'" in r.json()["detail"]
    blobs = settings.blob_dir
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))
    async with state.sessions() as session:
        from metrica.server.plates.models import PlateJob

        assert await session.scalar(select(func.count()).select_from(PlateJob)) == 0


async def test_hostile_search_parameters(client: httpx.AsyncClient, world: PlateWorld) -> None:
    clerk = world.headers(world.clerk)
    store = str(world.store.id)
    for params, expected in [
        ({"q": "AB\x00C"}, 400),
        ({"q": "A" * 20_000}, 422),
        ({"q": "A" * 65}, 422),
        ({"from": "0001-01-01T00:00:00Z"}, 422),
        ({"from": "yesterday"}, 422),
        ({"from": "2026-02-30T00:00:00Z"}, 422),
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, 400),
        ({"limit": str(2**64)}, 422),
        ({"camera_id": "../../etc"}, 422),
    ]:
        r = await client.get("/plates", params={"store_id": store, **params}, headers=clerk)
        assert r.status_code == expected, (params, r.status_code, r.text[:200])
    r = await client.get(
        "/plates", params={"store_id": store, "q": "%_'\\", "fuzzy": "true"}, headers=clerk
    )
    assert r.status_code == 200
    assert r.json()["total"] == 0


async def test_every_search_is_audited_with_its_result_count(
    client: httpx.AsyncClient, world: PlateWorld, state: AppState
) -> None:
    r = await client.get(
        "/plates",
        params={"store_id": str(world.store.id), "q": "NOPE1"},
        headers=world.headers(world.admin),
    )
    assert r.status_code == 200
    async with state.sessions() as session:
        rows = (await session.scalars(select(PlateAudit))).all()
    assert [(a.action, a.user_email, a.query, a.result_count) for a in rows] == [
        ("search", "admin@example.com", "q=NOPE1 fuzzy=false", 0)
    ]
