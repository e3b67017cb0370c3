"""The real plate reader (metrica.plates) behind the service: a photo and a short video are
uploaded, read in-process, and their plates found by search — on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from metrica.plates.loading import load_reader
from metrica.plates.processor import PlateUploadProcessor, read_image
from metrica.plates.scan import ScanConfig
from metrica.plates.synthetic import degraded_views, write_clip
from metrica.server.app import create_app
from metrica.server.settings import Settings
from metrica.vision.shared_data import data_dir
from tests.server.plates.conftest import make_plate_world, upload_files, wait_for_job
from tests.support.db import empty_tables

EU = data_dir() / "anpr" / "openalpr_eu"


@pytest.fixture(scope="module")
def reader_processor() -> PlateUploadProcessor:
    return PlateUploadProcessor(load_reader(), scan=ScanConfig(sample_fps=10.0))


@pytest.fixture
async def real_app(
    settings: Settings, reader_processor: PlateUploadProcessor
) -> AsyncIterator[FastAPI]:
    app = create_app(
        settings.model_copy(update={"plates_upload_max_bytes": 50_000_000}),
        plate_processor=reader_processor,
    )
    await empty_tables(app.state.metrica.engine)
    yield app
    await app.state.metrica.close()


@pytest.mark.timeout(180)
async def test_a_photo_and_a_video_are_read_and_found(real_app: FastAPI, tmp_path: Path) -> None:
    world = await make_plate_world(real_app.state.metrica)
    owner = world.headers(world.owner)
    store = str(world.store.id)
    clip = write_clip(
        list(degraded_views(read_image(EU / "test_004.jpg"), frames=10, seed=5)),
        tmp_path / "clip.mp4",
    )
    uploads = [
        (EU / "test_002.jpg", "image/jpeg", "image", "RK755AJ"),
        (clip, "video/mp4", "video", "RK115AN"),
    ]
    transport = httpx.ASGITransport(app=real_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path, content_type, kind, plate in uploads:
            r = await client.post(
                "/plates/uploads",
                params={"store_id": store},
                files=upload_files(path.read_bytes(), name=path.name, kind=content_type),
                headers=owner,
            )
            assert r.status_code == 202, r.text
            assert r.json()["kind"] == kind
            job = await wait_for_job(client, r.json()["id"], owner, timeout_s=120)
            assert job["status"] == "done", job
            assert job["plates_found"] == 1
            r = await client.get(
                "/plates", params={"store_id": store, "q": plate, "fuzzy": "true"}, headers=owner
            )
            results = r.json()["results"]
            assert len(results) == 1, (plate, results)
            assert results[0]["job_id"] == job["id"]
            crop = await client.get(results[0]["crop_url"], headers=owner)
            assert crop.content[:2] == b"\xff\xd8"
