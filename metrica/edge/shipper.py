"""The sending thread: outbox → backend in bounded batches, acknowledged or kept.

A batch goes when enough is pending, when enough frames or seconds passed since the last
one, or at once while flushing (`batch_due`, pure). Failures back off with full jitter
behind a circuit breaker; events the backend refuses as malformed are quarantined one by
one (the batch is bisected when the answer names no index), everything else stays queued.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from metrica.domain.backoff import BreakerState, CircuitBreaker, backoff_delay_s
from metrica.domain.events import MAX_BATCH_EVENTS, LineCrossed
from metrica.edge.outbox import Outbox, OutboxRow
from metrica.edge.uplink import Acked, AuthRejected, Rejected, Retry, SendOutcome, TooLarge

log = logging.getLogger(__name__)

IDLE_POLL_S = 5.0


@dataclass(frozen=True)
class BatchPolicy:
    """When to send and how much: at most `max_events` per request."""

    max_events: int = 500
    every_frames: int = 30
    every_s: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_events <= MAX_BATCH_EVENTS:
            raise ValueError(f"batch size must be within 1..{MAX_BATCH_EVENTS}")


def batch_due(
    policy: BatchPolicy,
    *,
    pending: int,
    frames_since_send: int,
    seconds_since_send: float,
    flushing: bool,
) -> bool:
    """Send now? Only with something pending, then: full batch, or ~30 frames, or N seconds
    since the last send, or a flush."""
    if pending <= 0:
        return False
    return (
        flushing
        or pending >= policy.max_events
        or frames_since_send >= policy.every_frames
        or seconds_since_send >= policy.every_s
    )


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 0.5
    cap_s: float = 30.0
    breaker_failures: int = 3


@dataclass
class ShipperStats:
    sent: int = 0  # acknowledged by the backend (stored or already there)
    duplicates: int = 0
    quarantined: int = 0
    failures: int = 0


class ShipperHooks:
    """Metric callbacks; the default does nothing (tests, metrics off)."""

    def sent(self, n: int) -> None: ...
    def failed(self, reason: str) -> None: ...
    def quarantined(self, n: int) -> None: ...
    def latency(self, seconds: float) -> None: ...


def check_locally(row: OutboxRow, camera_id: str) -> str | None:
    """Why this stored event can never be accepted, or None. Catches what would make the
    backend refuse the whole batch (bad JSON, wrong schema, another camera's id)."""
    try:
        event = LineCrossed.model_validate_json(row.body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return f"invalid locally: {where}: {first['msg']}"
    if event.camera_id.lower() != camera_id.lower():
        return f"invalid locally: camera_id {event.camera_id!r} is not this worker's camera"
    return None


class Shipper:
    """The event sender thread; `send` posts one batch (e.g. `Uplink.post_events`) and is
    only ever called from that thread."""

    def __init__(
        self,
        outbox: Outbox,
        send: Callable[[list[str]], SendOutcome],
        *,
        camera_id: str,
        policy: BatchPolicy | None = None,
        retry: RetryPolicy | None = None,
        hooks: ShipperHooks | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._outbox = outbox
        self._send = send
        self._camera_id = camera_id
        self.policy = policy or BatchPolicy()
        self._retry = retry or RetryPolicy()
        self._hooks = hooks or ShipperHooks()
        self._rng = rng
        self.breaker = CircuitBreaker(
            failure_threshold=self._retry.breaker_failures,
            base_open_s=self._retry.base_s * 2,
            cap_open_s=self._retry.cap_s,
        )
        self.stats = ShipperStats()
        self._cond = threading.Condition()
        self._frames_since_send = 0
        self._last_send_s = time.monotonic()
        self._retry_at_s = 0.0
        self._failures = 0
        self._flushing = False
        self._stopping = False
        self._backend_down = False
        self._thread = threading.Thread(target=self._run, name="shipper", daemon=True)

    @property
    def backend_up(self) -> bool:
        return not self._backend_down

    def start(self) -> None:
        self._thread.start()

    def note_frames(self, n: int = 1) -> None:
        """Frames processed since the last call; wakes the sender when a batch is due."""
        with self._cond:
            self._frames_since_send += n
            if self._frames_since_send >= self.policy.every_frames:
                self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def flush(self, deadline_s: float) -> bool:
        """Send everything queued, giving up after `deadline_s`; True if the outbox emptied."""
        end_s = time.monotonic() + deadline_s
        with self._cond:
            self._flushing = True
            self._retry_at_s = min(self._retry_at_s, time.monotonic())
            self._cond.notify_all()
            while self._outbox.depth > 0 and self._thread.is_alive():
                remaining_s = end_s - time.monotonic()
                if remaining_s <= 0:
                    break
                self._cond.wait(min(remaining_s, 0.5))
        return self._outbox.depth == 0

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop after the request in flight (if any)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    wait_s = self._wait_s(time.monotonic())
                    if wait_s <= 0:
                        break
                    self._cond.wait(wait_s)
                if self._stopping:
                    return
                self._frames_since_send = 0
                self._last_send_s = time.monotonic()
            try:
                self._send_once()
            except Exception:  # keep the sender alive whatever happens; the events stay queued
                log.exception("sender error (events stay in the outbox)")
                self._schedule_retry("internal")
            with self._cond:
                self._cond.notify_all()

    def _wait_s(self, now_s: float) -> float:
        """0 when a batch should go now, else how long to sleep before looking again."""
        if now_s < self._retry_at_s:
            return self._retry_at_s - now_s
        breaker_wait_s = self.breaker.wait_s(now_s)
        if breaker_wait_s > 0:
            return breaker_wait_s
        due = batch_due(
            self.policy,
            pending=self._outbox.depth,
            frames_since_send=self._frames_since_send,
            seconds_since_send=now_s - self._last_send_s,
            flushing=self._flushing,
        )
        if due:
            return 0.0
        if self._outbox.depth == 0:
            return IDLE_POLL_S  # `wake()` comes with the next event
        return max(0.05, self.policy.every_s - (now_s - self._last_send_s))

    def _send_once(self) -> None:
        rows = self._outbox.peek(self.policy.max_events)
        bad = [(r, why) for r in rows if (why := check_locally(r, self._camera_id)) is not None]
        if bad:
            self._quarantine(bad)
            bad_seqs = {r.seq for r, _ in bad}
            rows = [r for r in rows if r.seq not in bad_seqs]
        work = [rows] if rows else []
        while work:
            chunk = work.pop()
            if not self.breaker.allow(time.monotonic()):
                return
            started = time.perf_counter()
            outcome = self._send([r.body for r in chunk])
            self._hooks.latency(time.perf_counter() - started)
            if isinstance(outcome, Retry | AuthRejected):
                self._failed(outcome)
                return
            self._server_answered()
            if isinstance(outcome, Acked):
                self._outbox.ack([r.seq for r in chunk])
                self.stats.sent += len(chunk)
                self.stats.duplicates += outcome.duplicates
                self._hooks.sent(len(chunk))
            elif isinstance(outcome, TooLarge):
                work.extend(self._split(chunk, "batch too large (HTTP 413)"))
            elif isinstance(outcome, Rejected):
                work.extend(self._refused(chunk, outcome))

    def _refused(self, chunk: list[OutboxRow], outcome: Rejected) -> list[list[OutboxRow]]:
        """Quarantine the events the server named; without names, bisect to find them."""
        named = [(chunk[i], outcome.problems[i]) for i in outcome.problems if 0 <= i < len(chunk)]
        if named:
            self._quarantine([(r, f"refused by backend: {why}") for r, why in named])
            refused = {r.seq for r, _ in named}
            rest = [r for r in chunk if r.seq not in refused]
            return [rest] if rest else []
        return self._split(chunk, f"refused by backend: {outcome.detail}")

    def _split(self, chunk: list[OutboxRow], reason: str) -> list[list[OutboxRow]]:
        if len(chunk) == 1:
            self._quarantine([(chunk[0], reason)])
            return []
        half = len(chunk) // 2
        return [chunk[half:], chunk[:half]]  # popped from the end: oldest half first

    def _quarantine(self, rows: list[tuple[OutboxRow, str]]) -> None:
        self._outbox.quarantine(rows)
        self.stats.quarantined += len(rows)
        self._hooks.quarantined(len(rows))
        log.warning(
            "quarantined %d event(s) the backend can never accept: %s",
            len(rows),
            rows[0][1],
        )

    def _server_answered(self) -> None:
        was_open = self.breaker.state is not BreakerState.CLOSED
        self.breaker.record_success()
        self._failures = 0
        if self._backend_down or was_open:
            log.info("backend up: sending %d queued event(s)", self._outbox.depth)
        self._backend_down = False

    def _failed(self, outcome: Retry | AuthRejected) -> None:
        now_s = time.monotonic()
        reason = "auth" if isinstance(outcome, AuthRejected) else outcome.reason
        self.stats.failures += 1
        self._hooks.failed(reason)
        # A refused key is said once by the uplink's KeyStatus (and in every status line).
        if not isinstance(outcome, AuthRejected) and not self._backend_down:
            log.warning(
                "backend down (%s): keeping events in the outbox (%d queued)",
                outcome.detail,
                self._outbox.depth,
            )
        self._backend_down = True
        self.breaker.record_failure(now_s, u=self._rng())
        self._schedule_retry(reason)

    def _schedule_retry(self, reason: str) -> None:
        delay_s = backoff_delay_s(
            self._failures, u=self._rng(), base_s=self._retry.base_s, cap_s=self._retry.cap_s
        )
        self._failures += 1
        log.debug("retry in %.2fs (%s)", delay_s, reason)
        with self._cond:
            self._retry_at_s = time.monotonic() + delay_s
