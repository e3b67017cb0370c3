"""Hostile inputs for the hardening tests: values no schema should let through to a crash,
raw JSON that the `json=` argument of httpx cannot write (NaN), and a seeded world."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from metrica.server.audits.models import Recording
from metrica.server.auth.models import User
from metrica.server.cameras.models import Camera
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.factories import bearer, make_box, make_camera, make_store, make_user

JSON = {"content-type": "application/json"}
NAN = float("nan")
INF = float("inf")

# Every kind of value that has taken a server down somewhere: non-finite numbers, integers
# past 32 and 64 bits, NUL and other control characters, a lone surrogate, a bidi override,
# instants and dates at the ends of Python's range, big and deeply nested values.
HOSTILE_VALUES: list[Any] = [
    NAN,
    INF,
    -INF,
    1e308,
    -1,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    10**40,
    "",
    "\x00",
    "ok\x00",
    "\x1b[31m",
    "\ud800",
    "\u202eevil",
    "x" * 20_000,
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "1970-01-01T00:00:00Z",
    "0001-01-01",
    "9999-12-31",
    None,
    True,
    [],
    {},
]


def raw_json(value: Any) -> bytes:
    """JSON text, NaN and Infinity written as the bare literals Python's parser accepts."""
    return json.dumps(value, allow_nan=True).encode()


def nested(depth: int) -> bytes:
    """`[[[...]]]`, `depth` levels deep."""
    return b"[" * depth + b"]" * depth


@dataclass
class World:
    """A superadmin, an owner, a store with a worker camera and its key."""

    admin: User
    owner: User
    store: Store
    camera: Camera
    key: str
    admin_headers: dict[str, str]
    owner_headers: dict[str, str]
    box_id: str
    box_key: str
    recording_id: uuid.UUID  # a counted clip of the camera, ready to be marked

    @property
    def worker_headers(self) -> dict[str, str]:
        return {"X-Worker-Key": self.key}

    @property
    def box_headers(self) -> dict[str, str]:
        return {"X-Box-Key": self.box_key}


async def make_world(state: AppState) -> World:
    admin = await make_user(state, "admin@example.com", role="superadmin")
    owner = await make_user(state, "owner@example.com")
    store = await make_store(state, owner=owner)
    camera, key = await make_camera(state, store)
    box_id, box_key = await make_box(state, store)
    async with state.sessions() as session:
        recording = Recording(
            camera_id=camera.id,
            store_id=store.id,
            source="upload",
            status="ready",
            requested_by=admin.email,
            fps=10.0,
            frames=100,
            lines=[{"line_id": "door", "name": "", "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5}],
        )
        session.add(recording)
        await session.commit()
    return World(
        admin,
        owner,
        store,
        camera,
        key,
        bearer(state, admin),
        bearer(state, owner),
        box_id,
        box_key,
        recording.id,
    )


def event(camera: uuid.UUID, /, **changes: Any) -> dict[str, Any]:
    """A valid line crossing of `camera` on line "door", with `changes` applied."""
    base: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "camera_id": str(camera),
        "line_id": "door",
        "direction": "in",
        "occurred_at": datetime.now(UTC).isoformat(),
        "track_id": 1,
    }
    return base | changes


def heartbeat(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "fps": 12.5,
        "frames_processed": 1000,
        "frames_dropped": 0,
        "outbox_depth": 0,
        "uptime_s": 60.0,
        "stream_up": True,
        "version": "0.1.0",
    }
    return base | changes
