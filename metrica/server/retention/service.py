"""Retention: what each kind of data is kept for, and the run that removes the rest.

The dashboards read the hourly rollup (`hourly_counts`), which is kept forever; raw events
are only read for today (live occupancy) and for the partial hour of the same-time
comparison (<= 31 days back), so they may go once older than `RAW_EVENTS_MIN_DAYS`.
Heartbeats and snapshots are one row per camera (the latest): old ones belong to cameras
that went silent, and a snapshot is an image of people (its blob goes with its row).
Every delete is chunked (bounded transactions); PostgreSQL serialises runs of several
server processes with an advisory lock, so each runs once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from metrica.server.alerts.models import AlertEpisode
from metrica.server.auth.models import Invitation, LoginCode, RevokedToken
from metrica.server.backups.models import BackupRun
from metrica.server.blobs import BlobStore
from metrica.server.cameras.models import CameraHeartbeat, CameraSnapshot
from metrica.server.db import advisory_lock
from metrica.server.events.retention import Progress, delete_raw_events_before
from metrica.server.ops.metrics import RETENTION_ROWS_DELETED
from metrica.server.reports.models import ReportSend
from metrica.server.settings import Settings

ADVISORY_LOCK_KEY = 0x6D657472_0001  # "metr" + 1: one retention run per database at a time


@dataclass(frozen=True, slots=True)
class Policy:
    """Rows of `table` whose `column` is older than `days` go (0 days: kept forever)."""

    table: str
    days: int
    describe: str


def policies(settings: Settings) -> list[Policy]:
    """The retention policies in force, in the order a run applies them."""
    s = settings
    return [
        Policy("events", s.retention_raw_events_days, "raw events (the rollup keeps counts)"),
        Policy("camera_heartbeats", s.retention_heartbeats_days, "last heartbeat of a camera"),
        Policy("camera_snapshots", s.retention_snapshots_days, "last snapshot of a camera"),
        Policy("revoked_tokens", s.retention_expired_auth_days, "past expiry"),
        Policy("login_codes", s.retention_expired_auth_days, "past expiry"),
        Policy("invitations", s.retention_expired_auth_days, "past expiry"),
        Policy("backup_runs", s.retention_backup_runs_days, "backup log"),
        Policy("alert_episodes", s.retention_alert_log_days, "alert log, ended alerts"),
        Policy("report_sends", s.retention_alert_log_days, "weekly reports sent"),
    ]


# table -> (model, primary key column, the timestamp the age is measured on)
_SIMPLE: dict[str, tuple[Any, Any, Any]] = {
    "camera_heartbeats": (CameraHeartbeat, CameraHeartbeat.camera_id, CameraHeartbeat.received_at),
    "camera_snapshots": (CameraSnapshot, CameraSnapshot.camera_id, CameraSnapshot.taken_at),
    "revoked_tokens": (RevokedToken, RevokedToken.token_hash, RevokedToken.expires_at),
    "login_codes": (LoginCode, LoginCode.user_id, LoginCode.expires_at),
    "invitations": (Invitation, Invitation.token_hash, Invitation.expires_at),
    "backup_runs": (BackupRun, BackupRun.id, BackupRun.finished_at),
    # An ongoing alert (no resolved_at) is never removed: it would be raised again.
    "alert_episodes": (AlertEpisode, AlertEpisode.id, AlertEpisode.resolved_at),
    "report_sends": (ReportSend, ReportSend.sent_at, ReportSend.sent_at),
}


@dataclass
class TableOutcome:
    table: str
    cutoff: datetime | None
    rows: int = 0
    partitions_dropped: list[str] = field(default_factory=list)


@dataclass
class RetentionReport:
    dry_run: bool
    now: datetime
    tables: list[TableOutcome]

    @property
    def total(self) -> int:
        return sum(t.rows for t in self.tables)

    def lines(self) -> list[str]:
        """One line per table: `events: 1234 rows removed (before ...)`."""
        verb = "would be removed" if self.dry_run else "removed"
        out = []
        for t in self.tables:
            if t.cutoff is None:
                out.append(f"{t.table}: kept forever")
                continue
            extra = (
                f", partitions {', '.join(t.partitions_dropped)}" if t.partitions_dropped else ""
            )
            out.append(
                f"{t.table}: {t.rows} rows {verb} (older than {t.cutoff.isoformat()}{extra})"
            )
        return out


async def _chunked_delete(
    engine: AsyncEngine,
    table: str,
    cutoff: datetime,
    *,
    batch_size: int,
    dry_run: bool,
    progress: Progress,
) -> int:
    model, key, at = _SIMPLE[table]
    old: ColumnElement[bool] = at < cutoff
    if dry_run:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(model).where(old)) or 0)
    removed = 0
    while True:
        ids = select(key).where(old).limit(batch_size).scalar_subquery()
        async with engine.begin() as conn:
            count = (await conn.execute(delete(model).where(key.in_(ids), old))).rowcount
        removed += count
        if count:
            progress(table, removed)
        if count < batch_size:
            return removed


async def _delete_snapshots(
    engine: AsyncEngine, cutoff: datetime, *, batch_size: int, blobs: BlobStore | None,
    progress: Progress,
) -> int:  # fmt: skip
    """Old snapshot rows, chunked, and then their blobs (a row without its blob is no
    snapshot; a blob without its row would be an image of people nobody can see to delete)."""
    old: ColumnElement[bool] = CameraSnapshot.taken_at < cutoff
    removed = 0
    while True:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(CameraSnapshot.camera_id, CameraSnapshot.blob_key)
                    .where(old)
                    .limit(batch_size)
                )
            ).all()
            ids = [camera_id for camera_id, _ in rows]
            if ids:
                await conn.execute(
                    delete(CameraSnapshot).where(CameraSnapshot.camera_id.in_(ids), old)
                )
        if blobs is not None:
            for _, key in rows:
                if key:
                    await blobs.delete(key)
        removed += len(rows)
        if rows:
            progress("camera_snapshots", removed)
        if len(rows) < batch_size:
            return removed


async def run_retention(
    engine: AsyncEngine,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    batch_size: int | None = None,
    progress: Progress | None = None,
    blobs: BlobStore | None = None,
) -> RetentionReport | None:
    """Apply every policy once; None when another process holds the run (PostgreSQL).
    `blobs`: where snapshot images are, deleted with their rows."""
    size = batch_size or settings.retention_batch_size
    report_progress: Progress = progress or (lambda _what, _rows: None)
    async with advisory_lock(engine, ADVISORY_LOCK_KEY) as held:
        if not held:
            return None
        outcomes = []
        for policy in policies(settings):
            if policy.days == 0:
                outcomes.append(TableOutcome(policy.table, None))
                continue
            cutoff = now - timedelta(days=policy.days)
            outcome = TableOutcome(policy.table, cutoff)
            if policy.table == "events":
                outcome.rows, outcome.partitions_dropped = await delete_raw_events_before(
                    engine, cutoff, batch_size=size, dry_run=dry_run, progress=report_progress
                )
            elif policy.table == "camera_snapshots" and not dry_run:
                outcome.rows = await _delete_snapshots(
                    engine, cutoff, batch_size=size, blobs=blobs, progress=report_progress
                )
            else:
                outcome.rows = await _chunked_delete(
                    engine,
                    policy.table,
                    cutoff,
                    batch_size=size,
                    dry_run=dry_run,
                    progress=report_progress,
                )
            if not dry_run and outcome.rows:
                RETENTION_ROWS_DELETED.labels(table=policy.table).inc(outcome.rows)
            outcomes.append(outcome)
        return RetentionReport(dry_run=dry_run, now=now, tables=outcomes)
