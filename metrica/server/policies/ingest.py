"""Policy at ingest: which events of a batch may be stored, and what of them.

Runs inside `events.service.store_batch`, so that every way in (HTTP, MQTT) is screened
before anything is written. A denied event is not stored, not even its id: the box is
told how many were denied and drops them from its outbox (retrying cannot change a
policy's answer); posted again, it is denied again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """Apply the ingest rules for the camera's store to each event.

    What an ingest rule can tell apart in one camera's batch is the local minute (rule
    hours are whole minutes) and nothing of the event's values (`catalogue`: only the
    track id may be dropped, by no condition on it), so the policy is asked once per local
    minute of the batch, not once per event."""
    if not active.at_ingest:
        return Screened(events, [e.track_id for e in events], denied=0, changed=0)
    decided: dict[tuple[int, int], dict[str, Any] | None] = {}
    kept: list[LineCrossed] = []
    tracks: list[int | None] = []
    changed = 0
    for event in events:
        local = event.occurred_at.astimezone(camera.timezone)
        minute = (local.hour, local.minute)
        if minute not in decided:
            decided[minute] = apply(
                active.policy,
                dict(_PROBE),
                stage="ingest",
                store=camera.store_id,
                camera=camera.camera_id,
                local=local.time(),
            )
        out = decided[minute]
        if out is None:
            continue
        kept.append(event)
        if "track_id" in out:
            tracks.append(event.track_id)
        else:
            tracks.append(None)
            changed += 1
    return Screened(kept, tracks, denied=len(events) - len(kept), changed=changed)


# What a line crossing looks like to the rules (values do not matter to them; see screen).
_PROBE: dict[str, Any] = {"type": "line_crossed", "line_id": "", "direction": "", "track_id": 0}
