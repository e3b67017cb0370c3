"""The worker's on-disk outbox: every event is committed here before it is sent.

SQLite in WAL mode with `synchronous=FULL`: a committed append survives `kill -9` and a
power cut. Rows leave only when the backend acknowledged them (`ack`) or when they are
moved to the `quarantine` table (the backend refused them as malformed; kept for a human,
never retried on their own). The table is capped: past `max_events` the *oldest* rows are
dropped, counted, and warned about (first at `warn_fraction` of the cap).

One worker per outbox file: an exclusive `flock` on `<path>.lock` refuses a second one
(the kernel releases it when the process dies, however it dies).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class OutboxError(RuntimeError):
    """The outbox cannot be opened (unwritable folder, locked by another worker)."""


class Fill(StrEnum):
    OK = "ok"
    WARN = "warn"
    FULL = "full"


def overflow(depth: int, incoming: int, max_events: int) -> int:
    """How many of the oldest rows must go so that `incoming` new ones fit under the cap."""
    return max(0, min(depth, depth + incoming - max_events))


def fill_level(depth: int, max_events: int, warn_fraction: float) -> Fill:
    """OK, WARN (at or past `warn_fraction` of the cap) or FULL (at the cap)."""
    if depth >= max_events:
        return Fill.FULL
    return Fill.WARN if depth >= warn_fraction * max_events else Fill.OK


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    event_id: str
    body: str


@dataclass(frozen=True, slots=True)
class AppendResult:
    added: int
    dropped: int


class Outbox:
    """A durable FIFO of serialised events, shared by the frame loop and the sender thread."""

    def __init__(self, path: Path, *, max_events: int = 1_000_000, warn_fraction: float = 0.8):
        if max_events < 1:
            raise OutboxError(f"outbox cap must be at least 1 event, got {max_events}")
        self.path = path
        self.max_events = max_events
        self.warn_fraction = warn_fraction
        self._lock = threading.Lock()
        self._lock_file = _exclusive_lock(path)
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._depth = self._scalar("SELECT COUNT(*) FROM outbox")
            self._dropped = int(self.get_meta("dropped_total") or 0)
        except sqlite3.Error as exc:
            self._lock_file.close()
            raise OutboxError(f"cannot open outbox {path}: {exc}") from None
        self._warned = fill_level(self._depth, max_events, warn_fraction) is not Fill.OK
        if self._warned:
            self._warn_fill()

    @property
    def depth(self) -> int:
        """Events waiting to be sent."""
        return self._depth

    @property
    def dropped_total(self) -> int:
        """Events ever dropped at the cap (persisted across restarts)."""
        return self._dropped

    def append(self, rows: Sequence[tuple[str, str]]) -> AppendResult:
        """Commit `(event_id, json body)` rows in one transaction; an id already queued is
        skipped (a replay after a restart). Drops the oldest rows first if over the cap."""
        if not rows:
            return AppendResult(0, 0)
        with self._lock:
            to_drop = overflow(self._depth, len(rows), self.max_events)
            now = time.time()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if to_drop:
                    self._db.execute(
                        "DELETE FROM outbox WHERE seq IN "
                        "(SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                        (to_drop,),
                    )
                    self._dropped += to_drop
                    self._set_meta_locked("dropped_total", str(self._dropped))
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (event_id, body, created_at) VALUES (?, ?, ?)",
                    [(event_id, body, now) for event_id, body in rows],
                )
                added = self._db.total_changes - before
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            # An id already queued does not displace anything: recount exactly when it happens.
            self._depth = (
                self._depth - to_drop + added
                if added == len(rows)
                else self._scalar("SELECT COUNT(*) FROM outbox")
            )
        if to_drop:
            log.warning(
                "outbox full (%d events): dropped the %d oldest, %d dropped in total",
                self.max_events,
                to_drop,
                self._dropped,
            )
        self._check_fill()
        return AppendResult(added, to_drop)

    def peek(self, limit: int) -> list[OutboxRow]:
        """The oldest `limit` rows, still queued."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, event_id, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
            )
            return [OutboxRow(int(s), str(e), str(b)) for s, e, b in cursor.fetchall()]

    def ack(self, seqs: Sequence[int]) -> None:
        """The backend has these: delete them."""
        if not seqs:
            return
        with self._lock:
            self._depth -= self._delete_locked(seqs)
        self._check_fill()

    def quarantine(self, rows: Sequence[tuple[OutboxRow, str]]) -> None:
        """Move refused rows, with the reason, out of the send queue in one transaction."""
        if not rows:
            return
        with self._lock:
            now = time.time()
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO quarantine (seq, event_id, body, reason, quarantined_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(r.seq, r.event_id, r.body, reason[:2000], now) for r, reason in rows],
            )
            self._depth -= self._delete_locked([r.seq for r, _ in rows], begin=False)

    def quarantined(self) -> list[tuple[OutboxRow, str]]:
        """Everything in quarantine, oldest first, with the reason."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, event_id, body, reason FROM quarantine ORDER BY seq"
            )
            return [(OutboxRow(int(s), str(e), str(b)), str(r)) for s, e, b, r in cursor]

    def requeue_quarantined(self) -> int:
        """Put quarantined rows back in the queue (after the cause was fixed); returns how many."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (event_id, body, created_at) "
                "SELECT event_id, body, quarantined_at FROM quarantine ORDER BY seq"
            )
            moved = self._scalar("SELECT COUNT(*) FROM quarantine")
            self._db.execute("DELETE FROM quarantine")
            self._db.execute("COMMIT")
            self._depth = self._scalar("SELECT COUNT(*) FROM outbox")
        return moved

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._set_meta_locked(key, value)

    def close(self) -> None:
        """Checkpoint the WAL into the main file and release the lock."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self._db.close()
                self._lock_file.close()

    def _delete_locked(self, seqs: Sequence[int], *, begin: bool = True) -> int:
        """Delete queued rows and commit; returns how many were there."""
        if begin:
            self._db.execute("BEGIN IMMEDIATE")
        before = self._db.total_changes
        self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
        deleted = self._db.total_changes - before
        self._db.execute("COMMIT")
        return deleted

    def _set_meta_locked(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _scalar(self, sql: str) -> int:
        return int(self._db.execute(sql).fetchone()[0])

    def _check_fill(self) -> None:
        """Warn once when the outbox reaches `warn_fraction` of its cap; re-arm well below."""
        level = fill_level(self._depth, self.max_events, self.warn_fraction)
        if level is not Fill.OK and not self._warned:
            self._warned = True
            self._warn_fill()
        elif self._warned and self._depth < (self.warn_fraction - 0.1) * self.max_events:
            self._warned = False
            log.info("outbox back to %d events", self._depth)

    def _warn_fill(self) -> None:
        log.warning(
            "outbox at %d of %d events (%.0f%%): is the backend reachable? at the cap the "
            "oldest events are dropped",
            self._depth,
            self.max_events,
            100.0 * self._depth / self.max_events,
        )


def _exclusive_lock(path: Path) -> IO[bytes]:
    """Create the folder and hold `<path>.lock` for this process's lifetime."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(f"{path}.lock", "ab")  # noqa: SIM115 - held until close()
    except OSError as exc:
        raise OutboxError(f"cannot create outbox {path}: {exc.strerror}") from None
    try:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.close()
        raise OutboxError(
            f"outbox {path} is in use by another worker (locked: {path}.lock); "
            "give each camera its own --outbox"
        ) from None
    os.set_inheritable(lock_file.fileno(), False)
    return lock_file
