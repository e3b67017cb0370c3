"""Policy at ingest: which events of a batch may be stored, and what of them.

Runs inside `events.service.store_batch`, so that every way in (HTTP, MQTT) is screened
before anything is written. A denied event is not stored, not even its id: the box is
told how many were denied and drops them from its outbox (retrying cannot change a
policy's answer); posted again, it is denied again.
"""

from __future__ import annotations

from dataclasses import dataclass

from metrica.domain.events import LineCrossed
from metrica.domain.policies import apply
from metrica.server.policies.loader import ActivePolicy
from metrica.server.state import WorkerCamera


@dataclass(frozen=True, slots=True)
class Screened:
    """The events to store, each with its track id (None: dropped by the policy)."""

    events: list[LineCrossed]
    track_ids: list[int | None]
    denied: int
    changed: int


def screen(active: ActivePolicy, events: list[LineCrossed], camera: WorkerCamera) -> Screened:
    """Apply the ingest rules for the camera's store to each event."""
    if not active.at_ingest:
        return Screened(events, [e.track_id for e in events], denied=0, changed=0)
    kept: list[LineCrossed] = []
    tracks: list[int | None] = []
    changed = 0
    for event in events:
        seen = {
            "type": event.type,
            "line_id": event.line_id,
            "direction": event.direction,
            "track_id": event.track_id,
        }
        out = apply(
            active.policy,
            seen,
            stage="ingest",
            store=camera.store_id,
            camera=camera.camera_id,
            local=event.occurred_at.astimezone(camera.timezone).time(),
        )
        if out is None:
            continue
        kept.append(event)
        tracks.append(out.get("track_id"))
        changed += out != seen
    return Screened(kept, tracks, denied=len(events) - len(kept), changed=changed)
