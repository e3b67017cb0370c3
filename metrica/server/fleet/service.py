"""Fleet: enrolment tokens, boxes, their heartbeats, and the cameras they run.

Every credential is stored as its sha256 (tokens and keys are 256-bit random, so a plain
hash is enough); camera sources and the worker keys boxes need are stored encrypted
(`fleet.secrets`). Nothing here caches a box key: a revoked box is refused on its very
next request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.audits import CountingSettings
from metrica.domain.fleet import (
    MAX_BOX_ERRORS,
    BoxCameraConfig,
    BoxCameraStatus,
    BoxConfig,
    BoxError,
    BoxHeartbeat,
    CameraSettings,
    LineConfig,
    box_is_online,
    version_drift,
)
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.fleet import audit
from metrica.server.fleet.models import Box, BoxCamera, EnrolmentToken
from metrica.server.fleet.schemas import (
    BoxPublic,
    CameraFleetPublic,
    CameraSettingsUpdate,
)
from metrica.server.fleet.secrets import SecretBox
from metrica.server.fleet.sources import masked_source
from metrica.server.mqtt.broker_files import mosquitto_hash

log = logging.getLogger("metrica.fleet")

TOKEN_PREFIX = "met_"
BOX_KEY_PREFIX = "mbx_"


class FleetError(ValueError):
    """A fleet change that cannot be made (the message says why; a 409 or 422)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_enrolment_token(
    *, session: AsyncSession, store_id: uuid.UUID, ttl_s: int, now: datetime
) -> tuple[str, EnrolmentToken]:
    """A new one-time token for the store; the plain token is returned only here."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = EnrolmentToken(
        store_id=store_id,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(row)
    await session.flush()
    return token, row


async def enrol(
    *, session: AsyncSession, token: str, hostname: str, version: str, now: datetime
) -> tuple[Box, str] | None:
    """Spend the token (once: a conditional UPDATE, so two concurrent uses cannot both
    win) and create the box with a fresh key; None for an unknown, used or expired token."""
    spent = (
        await session.execute(
            update(EnrolmentToken)
            .where(
                EnrolmentToken.token_hash == digest(token),
                EnrolmentToken.used_at.is_(None),
                EnrolmentToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(EnrolmentToken.id, EnrolmentToken.store_id)
        )
    ).first()
    if spent is None:
        return None
    key = BOX_KEY_PREFIX + secrets.token_urlsafe(32)
    box = Box(
        store_id=spent.store_id,
        hostname=hostname,
        key_hash=digest(key),
        mqtt_password_hash=mosquitto_hash(key),
        enrolled_at=now,
        version=version,
    )
    session.add(box)
    await session.flush()
    await session.execute(
        update(EnrolmentToken).where(EnrolmentToken.id == spent.id).values(box_id=box.id)
    )
    return box, key


async def box_for_key(*, session: AsyncSession, key: str) -> Box | None:
    """The enrolled, unrevoked box holding this key (read fresh on every request)."""
    box: Box | None = await session.scalar(
        select(Box).where(Box.key_hash == digest(key), Box.revoked_at.is_(None))
    )
    return box


def _version(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _settings_of(row: BoxCamera) -> CameraSettings:
    return CameraSettings.model_validate(
        {
            "model": row.model,
            "input_size": row.input_size,
            "stride": row.stride,
            "schedule": row.schedule,
            "blur_people": row.blur_people,
        }
    )


async def counting_settings(*, session: AsyncSession, camera_id: uuid.UUID) -> CountingSettings:
    """What the camera's worker counts with (its box's model, input size and stride), for
    an audit to count a clip the same way; the defaults for a camera no box runs."""
    row = await session.get(BoxCamera, camera_id)
    if row is None or row.box_id is None:
        return CountingSettings()
    return CountingSettings(model=row.model, input_size=row.input_size, stride=max(1, row.stride))


async def box_config(*, session: AsyncSession, box: Box, secret_box: SecretBox) -> BoxConfig:
    """The cameras the box should run, with their decrypted source and worker key.

    A camera is left out while it has no source, is disabled, or its worker key was
    rotated or revoked by hand since it was assigned (assign it again to re-issue).
    """
    rows = (
        await session.execute(
            select(BoxCamera, Camera)
            .join(Camera, Camera.id == BoxCamera.camera_id)
            .where(BoxCamera.box_id == box.id, Camera.store_id == box.store_id)
            .order_by(Camera.id)
        )
    ).all()
    configs = []
    for row, camera in rows:
        if camera.status != "active" or row.source_encrypted is None:
            continue
        if row.worker_key_encrypted is None or camera.key_hash is None:
            continue
        worker_key = secret_box.decrypt(row.worker_key_encrypted)
        if digest(worker_key) != camera.key_hash:
            continue
        lines = [
            LineConfig(**spec.model_dump())
            for spec in await cameras.lines(session=session, camera_id=camera.id)
        ]
        config = BoxCameraConfig(
            camera_id=camera.id,
            name=camera.name,
            source=secret_box.decrypt(row.source_encrypted),
            worker_key=worker_key,
            settings=_settings_of(row),
            lines=lines,
            version="",
        )
        version = _version(config.model_dump(mode="json", exclude={"version"}))
        configs.append(config.model_copy(update={"version": version}))
    version = _version([str(box.id), [c.version for c in configs]])
    return BoxConfig(box_id=box.id, store_id=box.store_id, cameras=configs, version=version)


async def assigned_camera_ids(*, session: AsyncSession, box_id: uuid.UUID) -> set[uuid.UUID]:
    found = await session.scalars(select(BoxCamera.camera_id).where(BoxCamera.box_id == box_id))
    return set(found)


def merged_errors(old: list[dict[str, Any]], new: list[BoxError]) -> list[dict[str, Any]]:
    """The newest `MAX_BOX_ERRORS` errors of both lists, oldest first, without repeats."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for item in [*old, *(e.model_dump(mode="json") for e in new)]:
        seen[(str(item.get("at")), str(item.get("message")))] = item
    ordered = sorted(seen.values(), key=lambda e: str(e.get("at")))
    return ordered[-MAX_BOX_ERRORS:]


async def record_heartbeat(
    *, session: AsyncSession, box: Box, beat: BoxHeartbeat, now: datetime
) -> None:
    """Keep the box's latest health; camera states of cameras not its own are dropped."""
    own = await assigned_camera_ids(session=session, box_id=box.id)
    box.last_seen_at = now
    box.version = beat.version
    if beat.hostname:
        box.hostname = beat.hostname
    box.uptime_s = beat.uptime_s
    box.cpu_percent, box.memory_percent = beat.cpu_percent, beat.memory_percent
    box.disk_percent, box.outbox_depth = beat.disk_percent, beat.outbox_depth
    box.camera_states = [c.model_dump(mode="json") for c in beat.cameras if c.camera_id in own]
    box.recent_errors = merged_errors(list(box.recent_errors or []), beat.errors)
    await session.flush()


@dataclass(frozen=True)
class Presence:
    now: datetime
    offline_after_s: float
    release: str


async def public(*, session: AsyncSession, box: Box, presence: Presence) -> BoxPublic:
    camera_ids = sorted(await assigned_camera_ids(session=session, box_id=box.id))
    revoked = box.revoked_at is not None
    return BoxPublic(
        id=box.id,
        store_id=box.store_id,
        hostname=box.hostname,
        enrolled_at=box.enrolled_at,
        revoked=revoked,
        online=not revoked
        and box_is_online(box.last_seen_at, presence.now, offline_after_s=presence.offline_after_s),
        last_seen_at=box.last_seen_at,
        version=box.version,
        drift=version_drift(box.version, presence.release),
        release=presence.release,
        uptime_s=box.uptime_s,
        cpu_percent=box.cpu_percent,
        memory_percent=box.memory_percent,
        disk_percent=box.disk_percent,
        outbox_depth=box.outbox_depth,
        camera_ids=camera_ids,
        camera_states=[BoxCameraStatus.model_validate(s) for s in box.camera_states or []],
    )


async def list_boxes(
    *, session: AsyncSession, store_id: uuid.UUID | None, presence: Presence
) -> list[BoxPublic]:
    query = select(Box).order_by(Box.enrolled_at, Box.id)
    if store_id is not None:
        query = query.where(Box.store_id == store_id)
    return [
        await public(session=session, box=b, presence=presence)
        for b in await session.scalars(query)
    ]


async def _box_camera(session: AsyncSession, camera_id: uuid.UUID) -> BoxCamera:
    row = await session.get(BoxCamera, camera_id)
    if row is None:
        row = BoxCamera(camera_id=camera_id, stride=1)
        session.add(row)
        await session.flush()
    return row


async def _unassign(session: AsyncSession, row: BoxCamera, camera: Camera) -> None:
    row.box_id, row.worker_key_encrypted = None, None
    await cameras.revoke_key(session=session, camera=camera)


async def revoke(*, session: AsyncSession, box: Box, now: datetime) -> None:
    """The box's key stops working at once, and so do the worker keys of its cameras
    (which are unassigned, ready for another box)."""
    box.revoked_at, box.key_hash, box.mqtt_password_hash = now, None, None
    rows = (
        await session.execute(
            select(BoxCamera, Camera)
            .join(Camera, Camera.id == BoxCamera.camera_id)
            .where(BoxCamera.box_id == box.id)
        )
    ).all()
    for row, camera in rows:
        await _unassign(session, row, camera)
    await session.flush()


async def assign(
    *, session: AsyncSession, camera: Camera, box: Box | None, secret_box: SecretBox, now: datetime
) -> BoxCamera:
    """Run the camera on `box` (None: on no box). A new worker key is issued for the box
    (any key used by hand before stops working); unassigning revokes it."""
    row = await _box_camera(session, camera.id)
    if box is None:
        await _unassign(session, row, camera)
    else:
        if box.store_id != camera.store_id:
            raise FleetError("the box belongs to another store than the camera")
        if box.revoked_at is not None:
            raise FleetError("the box is revoked")
        key = await cameras.issue_key(session=session, camera=camera)
        row.box_id, row.worker_key_encrypted = box.id, secret_box.encrypt(key)
    row.updated_at = now
    await session.flush()
    return row


async def update_settings(
    *,
    session: AsyncSession,
    camera: Camera,
    data: CameraSettingsUpdate,
    secret_box: SecretBox,
    now: datetime,
    actor_email: str,
    actor_id: uuid.UUID | None = None,
) -> BoxCamera:
    """Replace the camera's settings; the source only when the body names it. A change to
    snapshot blurring is audited in the database (`fleet.audit`)."""
    row = await _box_camera(session, camera.id)
    row.model, row.input_size, row.stride = data.model, data.input_size, data.stride
    row.schedule = None if data.schedule is None else data.schedule.model_dump()
    await audit.record(
        session=session,
        camera=camera,
        setting="blur_people",
        old=bool(row.blur_people),
        new=data.blur_people,
        actor_id=actor_id,
        actor_email=actor_email,
        now=now,
    )
    row.blur_people = data.blur_people
    if "source" in data.model_fields_set:
        row.source_encrypted = None if data.source is None else secret_box.encrypt(data.source)
    row.updated_at = now
    await session.flush()
    return row


async def camera_fleet(
    *, session: AsyncSession, camera: Camera, secret_box: SecretBox
) -> CameraFleetPublic:
    row = await session.get(BoxCamera, camera.id)
    if row is None:
        return CameraFleetPublic(
            camera_id=camera.id,
            box_id=None,
            source_masked=None,
            settings=CameraSettings(),
            updated_at=camera.created_at,
        )
    source = None if row.source_encrypted is None else secret_box.decrypt(row.source_encrypted)
    return CameraFleetPublic(
        camera_id=camera.id,
        box_id=row.box_id,
        source_masked=None if source is None else masked_source(source),
        settings=_settings_of(row),
        updated_at=row.updated_at,
    )


async def rotate_secrets(*, session: AsyncSession, secret_box: SecretBox) -> int:
    """Re-encrypt every stored camera secret with the first configured key; how many rows."""
    count = 0
    for row in await session.scalars(select(BoxCamera)):
        if row.source_encrypted:
            row.source_encrypted = secret_box.rotate(row.source_encrypted)
        if row.worker_key_encrypted:
            row.worker_key_encrypted = secret_box.rotate(row.worker_key_encrypted)
        count += 1
    await session.flush()
    return count
