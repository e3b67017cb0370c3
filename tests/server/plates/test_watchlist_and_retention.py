"""A watched plate raises one alert per read, sent at once to a webhook (a local HTTP
receiver) and by email (the local SMTP fake); expired reads and crops are purged."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import select

from metrica.server.app import create_app
from metrica.server.plates.models import PlateReadRow
from metrica.server.plates.privacy import purge_expired_plates
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.conftest import make_settings
from tests.server.plates.conftest import make_plate_world, upload_files, wait_for_job
from tests.server.plates.scripted import ScriptedProcessor, scripted_upload
from tests.support.db import empty_tables
from tests.support.smtp import SmtpSink


class Receiver:
    """A local webhook receiver: answers 500 to the first `fail_first` calls."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, object]] = []
        self.calls = 0
        self.fail_first = fail_first

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":")[1])
        body = await reader.readexactly(length)
        self.calls += 1
        status = b"500 Oops" if self.calls <= self.fail_first else b"204 No Content"
        if not status.startswith(b"500"):
            self.bodies.append(json.loads(body))
        writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def alert_app(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, SmtpSink, Receiver, str]]:
    sink, receiver = SmtpSink(), Receiver(fail_first=1)
    smtp = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    hook = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.sockets[0].getsockname()[1],
        blob_dir=tmp_path / "blobs",
        plates_webhook_allow_private=True,  # the receiver runs here, on 127.0.0.1
    )
    app = create_app(settings, plate_processor=ScriptedProcessor())
    await empty_tables(app.state.metrica.engine)
    url = f"http://127.0.0.1:{hook.sockets[0].getsockname()[1]}/hook"
    yield app, sink, receiver, url
    await app.state.metrica.close()
    smtp.close()
    hook.close()


async def test_a_watched_plate_alerts_by_webhook_and_email_once(
    alert_app: tuple[FastAPI, SmtpSink, Receiver, str],
) -> None:
    app, sink, receiver, url = alert_app
    state: AppState = app.state.metrica
    world = await make_plate_world(state)
    owner = world.headers(world.owner)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post(
            "/plates/watchlist",
            json={
                "store_id": str(world.store.id),
                "plate": "ab 123-cd",
                "note": "stolen",
                "notify_email": "guard@example.com",
                "notify_webhook": url,
            },
            headers=owner,
        )
        assert r.status_code == 201, r.text
        assert r.json()["plate"] == "AB123CD"
        r = await c.post(
            "/plates/watchlist",
            json={"store_id": str(world.store.id), "plate": "AB123CD"},
            headers=owner,
        )
        assert r.status_code == 409
        started = time.monotonic()
        r = await c.post(
            "/plates/uploads",
            params={"store_id": str(world.store.id)},
            files=upload_files(scripted_upload(["A8I23CD", "ZZ999"])),  # read with confusions
            headers=owner,
        )
        job = await wait_for_job(c, r.json()["id"], owner)
        assert job["status"] == "done"
        alerts: list[dict[str, object]] = []
        while not (alerts and alerts[0]["delivered"] != {"email": None, "webhook": None}):
            assert time.monotonic() - started < 10, "no alert delivered within 10 s"
            await asyncio.sleep(0.05)
            r = await c.get(
                "/plates/alerts", params={"store_id": str(world.store.id)}, headers=owner
            )
            alerts = r.json()["alerts"]
        assert len(alerts) == 1
        assert alerts[0]["plate"] == "A8I23CD"
        assert alerts[0]["delivered"] == {"email": True, "webhook": True}
        assert receiver.calls == 2  # one 500, then retried
        assert [b["plate"] for b in receiver.bodies] == ["A8I23CD"]
        assert receiver.bodies[0]["note"] == "stolen"
        assert "A8I23CD" in sink.text(0)
        assert "guard@example.com" in sink.messages[0]

        # a rerun of the same job stores nothing new and alerts no one again
        await state.plate_runner().run(uuid.UUID(str(job["id"])))
        r = await c.get("/plates/alerts", params={"store_id": str(world.store.id)}, headers=owner)
        assert len(r.json()["alerts"]) == 1
        assert len(sink.messages) == 1

        r = await c.get("/plates/audit", params={"store_id": str(world.store.id)}, headers=owner)
        assert [e["action"] for e in r.json()["entries"]] == ["watch"]
        watch_id = (
            await c.get(
                "/plates/watchlist", params={"store_id": str(world.store.id)}, headers=owner
            )
        ).json()["entries"][0]["id"]
        r = await c.delete(
            f"/plates/watchlist/{watch_id}", headers=world.headers(world.other_owner)
        )
        assert r.status_code == 404
        r = await c.delete(f"/plates/watchlist/{watch_id}", headers=owner)
        assert r.status_code == 204


async def test_expired_reads_and_crops_are_purged_per_store_retention(
    client: httpx.AsyncClient, state: AppState, app: FastAPI
) -> None:
    world = await make_plate_world(state)
    owner = world.headers(world.owner)
    r = await client.post(
        "/plates/uploads",
        params={"store_id": str(world.store.id)},
        files=upload_files(scripted_upload(["OLD1", "NEW1"])),
        headers=owner,
    )
    await wait_for_job(client, r.json()["id"], owner)
    pinned = datetime(2026, 3, 1, 12, tzinfo=UTC)
    async with state.sessions() as session:
        rows = {r.normalized: r for r in (await session.scalars(select(PlateReadRow))).all()}
        rows["OLD1"].occurred_at = pinned - timedelta(days=31)
        rows["NEW1"].occurred_at = pinned - timedelta(days=29)
        old_crop = rows["OLD1"].crop_key
        await session.commit()
    assert old_crop is not None
    assert await state.blobs.exists(old_crop)
    async with state.sessions() as session:
        removed = await purge_expired_plates(session, pinned, blobs=state.blobs)
        await session.commit()
    assert (removed.reads, removed.crops) == (1, 1)
    assert not await state.blobs.exists(old_crop)
    async with state.sessions() as session:
        store = await session.get(Store, world.store.id)
        assert store is not None
        store.anpr_retention_days = 7
        await session.commit()
        removed = await purge_expired_plates(session, pinned, blobs=state.blobs)
        await session.commit()
        left = (await session.scalars(select(PlateReadRow.normalized))).all()
    assert removed.reads == 1
    assert left == []


async def test_job_metrics_are_exported(client: httpx.AsyncClient, state: AppState) -> None:
    world = await make_plate_world(state)
    owner = world.headers(world.owner)

    def failed() -> float:
        return REGISTRY.get_sample_value("metrica_jobs_failed_total", {"queue": "plates"}) or 0.0

    before = failed()
    r = await client.post(
        "/plates/uploads",
        params={"store_id": str(world.store.id)},
        files=upload_files(scripted_upload([], fail="unreadable")),
        headers=owner,
    )
    await wait_for_job(client, r.json()["id"], owner)
    assert failed() == before + 1
    text = (await client.get("/metrics")).text
    assert 'metrica_jobs_queue_depth{queue="plates"} 0.0' in text
    assert 'metrica_job_duration_seconds_count{outcome="failed",queue="plates"}' in text


async def test_a_webhook_to_a_private_address_is_not_called_by_default(
    client: httpx.AsyncClient, state: AppState
) -> None:
    receiver = Receiver()
    hook = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    world = await make_plate_world(state)
    owner = world.headers(world.owner)
    url = f"http://127.0.0.1:{hook.sockets[0].getsockname()[1]}/hook"
    r = await client.post(
        "/plates/watchlist",
        json={"store_id": str(world.store.id), "plate": "AB123", "notify_webhook": url},
        headers=owner,
    )
    assert r.status_code == 201
    r = await client.post(
        "/plates/uploads",
        params={"store_id": str(world.store.id)},
        files=upload_files(scripted_upload(["AB123"])),
        headers=owner,
    )
    await wait_for_job(client, r.json()["id"], owner)
    deadline = time.monotonic() + 10
    delivered: object = None
    while delivered is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
        r = await client.get(
            "/plates/alerts", params={"store_id": str(world.store.id)}, headers=owner
        )
        alerts = r.json()["alerts"]
        delivered = alerts[0]["delivered"]["webhook"] if alerts else None
    assert delivered is False
    assert receiver.calls == 0
    hook.close()
