"""A box with cameras, made with the server's own services (what the admin app and
`metrica edge enroll` do), and line-crossing events and counts for MQTT tests."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from metrica.domain.events import LineCrossed
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.fleet import service as fleet
from metrica.server.fleet.models import Box
from metrica.server.fleet.schemas import CameraSettingsUpdate
from metrica.server.fleet.secrets import SecretBox
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

SECRET_KEY = "mqtt-tests-" + "k" * 32
LINE_ID = "door"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a fixed past instant: no dependence on today


@dataclass(frozen=True)
class SeededBox:
    box_id: str
    box_key: str
    store_id: str
    camera_ids: tuple[str, ...]


def secret_box() -> SecretBox:
    return SecretBox.from_settings(None, SECRET_KEY)


def seed_box(db_url: str, cameras_n: int = 1) -> SeededBox:
    """A store, `cameras_n` counting cameras (line `door`, a source) and an enrolled box
    running them."""

    async def create() -> SeededBox:
        engine = create_engine(db_url)
        now = datetime.now(UTC)
        try:
            async with session_factory(engine)() as session:
                store = await stores.create(
                    session=session,
                    data=StoreCreate(name=f"mqtt {uuid.uuid4().hex[:6]}", timezone="UTC"),
                )
                token, _ = await fleet.issue_enrolment_token(
                    session=session, store_id=store.id, ttl_s=600, now=now
                )
                enrolled = await fleet.enrol(
                    session=session, token=token, hostname="box", version="0.1.0", now=now
                )
                assert enrolled is not None
                box, key = enrolled
                ids = []
                for i in range(cameras_n):
                    camera = Camera(store_id=store.id, name=f"cam {i}", is_counting_line=True)
                    session.add(camera)
                    await session.flush()
                    spec = LineSpec(line_id=LINE_ID, x1=0, y1=0.5, x2=1, y2=0.5)
                    await cameras.replace_lines(session=session, camera=camera, specs=[spec])
                    await fleet.update_settings(
                        session=session,
                        camera=camera,
                        data=CameraSettingsUpdate(source=f"rtsp://cam{i}.local/stream"),
                        secret_box=secret_box(),
                        now=now,
                        actor_email="admin@metrica.test",
                    )
                    await fleet.assign(
                        session=session, camera=camera, box=box, secret_box=secret_box(), now=now
                    )
                    ids.append(str(camera.id))
                await session.commit()
                return SeededBox(str(box.id), key, str(store.id), tuple(ids))
        finally:
            await engine.dispose()

    return asyncio.run(create())


def box_password_hashes(db_url: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        from metrica.server.mqtt.service import box_password_hashes as hashes

        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return await hashes(session=session)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def event_bodies(camera_id: str, n: int, *, start: int = 0) -> list[tuple[str, str]]:
    """`n` distinct crossings as (event id, JSON body), as a worker's outbox holds them."""
    rows = []
    for i in range(start, start + n):
        event = LineCrossed(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{camera_id}/{i}"),
            camera_id=camera_id,
            line_id=LINE_ID,
            direction="in" if i % 3 else "out",
            occurred_at=T0 + timedelta(seconds=i),
            track_id=i,
        )
        rows.append((str(event.event_id), event.model_dump_json()))
    return rows


@dataclass(frozen=True)
class StoredCounts:
    rows: int
    distinct_ids: int
    rollup: int  # in + out over the hourly rollup


def stored_counts(db_url: str, camera_id: str) -> StoredCounts:
    async def query() -> StoredCounts:
        cam = uuid.UUID(camera_id)
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = await session.scalar(
                    select(func.count()).select_from(EventRow).where(EventRow.camera_id == cam)
                )
                distinct = await session.scalar(
                    select(func.count(func.distinct(EventRow.event_id))).where(
                        EventRow.camera_id == cam
                    )
                )
                rollup = await session.scalar(
                    select(
                        func.coalesce(func.sum(HourlyCount.in_count + HourlyCount.out_count), 0)
                    ).where(HourlyCount.camera_id == cam)
                )
                return StoredCounts(int(rows or 0), int(distinct or 0), int(rollup or 0))
        finally:
            await engine.dispose()

    return asyncio.run(query())


def box_row(db_url: str, box_id: str) -> Box | None:
    async def query() -> Box | None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return await session.get(Box, uuid.UUID(box_id))
        finally:
            await engine.dispose()

    return asyncio.run(query())
