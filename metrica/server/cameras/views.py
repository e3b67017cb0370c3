"""Worker camera endpoints: heartbeat, snapshot, config (X-Worker-Key, own camera only)."""

from __future__ import annotations

import io
import uuid

from fastapi import APIRouter, HTTPException, Request, Response, status
from PIL import Image, UnidentifiedImageError

from metrica.domain.events import Heartbeat
from metrica.server.cameras import service, snapshots
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import CameraConfig
from metrica.server.db import utcnow
from metrica.server.deps import CurrentWorkerCamera, SessionDep, State, own_camera

router = APIRouter(tags=["worker"])


@router.post("/cameras/{camera_id}/heartbeat", operation_id="post_heartbeat", status_code=204)
async def post_heartbeat(
    camera_id: uuid.UUID, beat: Heartbeat, camera: CurrentWorkerCamera, session: SessionDep
) -> Response:
    """Record the worker's latest health."""
    own_camera(camera, camera_id)
    await service.record_heartbeat(session=session, camera_id=camera_id, beat=beat)
    await session.commit()
    return Response(status_code=204)


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it exceeds `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"body over {limit} bytes")
    return bytes(body)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a real JPEG, else 415."""
    bad = HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "body must be a JPEG image")
    if not data.startswith(b"\xff\xd8\xff"):
        raise bad
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG":
                raise bad
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise bad from None


@router.put(
    "/cameras/{camera_id}/snapshot",
    operation_id="put_snapshot",
    status_code=204,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_snapshot(
    camera_id: uuid.UUID,
    request: Request,
    camera: CurrentWorkerCamera,
    session: SessionDep,
    state: State,
) -> Response:
    """Replace the camera's calibration snapshot (JPEG, size-limited)."""
    own_camera(camera, camera_id)
    data = await read_limited(request, state.settings.snapshot_max_bytes)
    width, height = jpeg_size(data)
    try:
        await snapshots.store(
            session=session,
            blobs=state.blobs,
            camera_id=camera_id,
            jpeg=data,
            width=width,
            height=height,
            now=utcnow(),
        )
    except snapshots.SnapshotStoreDown:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "snapshot storage is unavailable; send it later"
        ) from None
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/cameras/{camera_id}/config", operation_id="get_camera_config", response_model=CameraConfig
)
async def get_camera_config(
    camera_id: uuid.UUID, camera: CurrentWorkerCamera, session: SessionDep
) -> CameraConfig:
    """The counting lines the worker should use."""
    own_camera(camera, camera_id)
    row = await session.get(Camera, camera_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "camera not found")
    lines = await service.lines(session=session, camera_id=camera_id)
    return CameraConfig(camera_id=camera_id, lines=lines, updated_at=row.lines_updated_at)
