"""Retry timing shared by sources, the uplink and the supervisor: pure maths, no clocks.

Callers pass the time (`now_s`, any monotonic clock) and the random draw (`u`, uniform in
[0, 1)), so every schedule is exact in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def backoff_delay_s(attempt: int, *, u: float, base_s: float = 0.5, cap_s: float = 30.0) -> float:
    """Delay before retry `attempt` (0-based): full jitter over a capped doubling.

    Full jitter stops many cameras behind one recovering NVR (or many workers behind one
    recovering backend) from retrying in lock-step.
    """
    ceiling_s = min(cap_s, base_s * 2.0 ** min(max(attempt, 0), 64))
    return min(max(u, 0.0), 1.0) * ceiling_s


def equal_jitter_delay_s(
    attempt: int, *, u: float, base_s: float = 1.0, cap_s: float = 60.0
) -> float:
    """Like `backoff_delay_s`, but never below half the ceiling: a pause that must be real
    (an open circuit, a crash-looping process) yet still spread out."""
    ceiling_s = min(cap_s, base_s * 2.0 ** min(max(attempt, 0), 64))
    return ceiling_s / 2.0 * (1.0 + min(max(u, 0.0), 1.0))


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """closed → (N consecutive failures) → open → (cool-down) → half-open → one trial.

    A trial that succeeds closes the breaker; one that fails opens it again for a longer
    cool-down (equal jitter over a capped doubling). While open nothing is sent, so a
    backend that is down is not hammered and its recovery is not stampeded.
    """

    failure_threshold: int = 3
    base_open_s: float = 1.0
    cap_open_s: float = 30.0
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    openings: int = 0
    open_until_s: float = 0.0

    def allow(self, now_s: float) -> bool:
        """May a request go out now? Moves open → half-open once the cool-down is over."""
        if self.state is BreakerState.OPEN and now_s >= self.open_until_s:
            self.state = BreakerState.HALF_OPEN
        return self.state is not BreakerState.OPEN

    def wait_s(self, now_s: float) -> float:
        """Seconds until a request may go out (0 unless open)."""
        if self.state is BreakerState.OPEN:
            return max(0.0, self.open_until_s - now_s)
        return 0.0

    def record_success(self) -> None:
        self.state, self.failures, self.openings = BreakerState.CLOSED, 0, 0

    def record_failure(self, now_s: float, *, u: float) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
            cool_down_s = equal_jitter_delay_s(
                self.openings, u=u, base_s=self.base_open_s, cap_s=self.cap_open_s
            )
            self.state, self.open_until_s = BreakerState.OPEN, now_s + cool_down_s
            self.openings += 1
