"""Audit clips are images of people: deleted `retention_recordings_days` after recording.
A clip whose counting a stopped server left unfinished is counted again after a start."""

from __future__ import annotations

import logging
import uuid

from metrica.server.audits.service import count_recording, purge_expired, unfinished
from metrica.server.periodic import PeriodicTasks
from metrica.server.state import AppState

log = logging.getLogger("metrica.audits")


def schedule_recording_purge(
    tasks: PeriodicTasks, state: AppState, *, delay_s: float = 60.0
) -> None:
    settings = state.settings
    resumed = False

    async def once() -> None:
        nonlocal resumed
        if not resumed:
            resumed = True
            await resume_counting(state)
        removed = await purge_expired(
            sessions=state.sessions,
            blobs=state.blobs,
            now=state.clock(),
            days=settings.retention_recordings_days,
        )
        if removed:
            log.info("audit clips: %d expired clip(s) deleted", removed)

    tasks.every(settings.recordings_retention_interval_s, once, name="recordings", delay_s=delay_s)


def start_counting(state: AppState, recording_id: uuid.UUID) -> None:
    """Count an uploaded clip in the background (one clip at a time: `audit_lock`)."""
    state.jobs.start(
        count_recording(
            sessions=state.sessions,
            blobs=state.blobs,
            counter=state.clip_counter,
            lock=state.audit_lock,
            recording_id=recording_id,
        ),
        name=f"count-recording-{recording_id}",
    )


async def resume_counting(state: AppState) -> int:
    """Count again the clips a stopped server did not finish (another server process
    counting the same clip at once only repeats the work: both write the same result)."""
    ids = await unfinished(sessions=state.sessions)
    for recording_id in ids:
        log.info("audit clip %s: counting again after a restart", recording_id)
        start_counting(state, recording_id)
    return len(ids)
