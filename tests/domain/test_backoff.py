"""Retry pacing and the circuit breaker: full jitter over a capped doubling (senders,
stream reconnects), equal jitter (restarts), and the breaker's open / half-open cycle."""

from __future__ import annotations

import pytest

from metrica.domain.backoff import (
    BreakerState,
    CircuitBreaker,
    backoff_delay_s,
    equal_jitter_delay_s,
)


@pytest.mark.parametrize(
    ("attempt", "u", "expected"),
    [(0, 1.0, 0.5), (1, 1.0, 1.0), (3, 0.5, 2.0), (10, 1.0, 30.0), (10, 0.0, 0.0), (99, 0.5, 15.0)],
)
def test_backoff_is_full_jitter_over_a_capped_doubling(
    attempt: int, u: float, expected: float
) -> None:
    assert backoff_delay_s(attempt, u=u, base_s=0.5, cap_s=30.0) == pytest.approx(expected)


def test_breaker_opens_after_repeated_failures_and_half_opens_after_cool_down() -> None:
    breaker = CircuitBreaker(failure_threshold=3, base_open_s=2.0, cap_open_s=30.0)
    for t in (0.0, 1.0):
        breaker.record_failure(t, u=0.0)
        assert breaker.allow(t)
    breaker.record_failure(2.0, u=0.0)  # third in a row: open for 1..2 s (equal jitter)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(2.5)
    assert breaker.wait_s(2.5) == pytest.approx(0.5)
    assert breaker.allow(3.0)
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_failure(3.0, u=0.0)  # the trial failed: open again, longer
    assert breaker.state is BreakerState.OPEN
    assert breaker.wait_s(3.0) == pytest.approx(2.0)
    assert breaker.allow(5.0)
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == 0


@pytest.mark.parametrize(
    ("attempt", "expected_ceiling_s"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (5, 16.0), (6, 30.0), (10, 30.0), (10_000, 30.0)],
)
def test_backoff_doubles_then_caps(attempt: int, expected_ceiling_s: float) -> None:
    assert backoff_delay_s(attempt, u=1.0) == expected_ceiling_s
    assert backoff_delay_s(attempt, u=0.0) == 0.0
    assert backoff_delay_s(attempt, u=0.25) == pytest.approx(expected_ceiling_s / 4)


def test_backoff_clamps_bad_draws_and_attempts() -> None:
    assert backoff_delay_s(-3, u=0.5) == 0.25
    assert backoff_delay_s(3, u=7.0, base_s=1.0, cap_s=5.0) == 5.0


@pytest.mark.parametrize(
    ("attempt", "u", "expected_s"),
    [(0, 0.0, 0.5), (0, 1.0, 1.0), (2, 0.0, 2.0), (20, 1.0, 60.0), (20, 0.0, 30.0)],
)
def test_equal_jitter_never_below_half_the_ceiling(
    attempt: int, u: float, expected_s: float
) -> None:
    assert equal_jitter_delay_s(attempt, u=u) == pytest.approx(expected_s)
