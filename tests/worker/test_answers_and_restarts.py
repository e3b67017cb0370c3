"""Pure decisions, table-driven: what each backend answer means for a batch, and how
the supervisor paces restarts. (Outbox, backoff, breaker, batching and event ids:
tests/vision/test_worker_units.py.)"""

from __future__ import annotations

import collections

import pytest

from metrica.domain.backoff import equal_jitter_delay_s
from metrica.edge.supervisor import RestartPolicy, recent_crashes, restart_delay_s
from metrica.edge.uplink import Acked, AuthRejected, Rejected, Retry, TooLarge, classify


@pytest.mark.parametrize(
    ("attempt", "u", "expected_s"),
    [(0, 0.0, 0.5), (0, 1.0, 1.0), (2, 0.0, 2.0), (20, 1.0, 60.0), (20, 0.0, 30.0)],
)
def test_equal_jitter_never_below_half_the_ceiling(
    attempt: int, u: float, expected_s: float
) -> None:
    assert equal_jitter_delay_s(attempt, u=u) == pytest.approx(expected_s)


VALIDATION_422 = {
    "detail": [
        {"loc": ["body", "events", 2, "line_id"], "msg": "unknown line 'x'", "type": "v"},
        {"loc": ["body", "events", 2, "occurred_at"], "msg": "in the future", "type": "v"},
        {"loc": ["body", "events", 5, "direction"], "msg": "bad", "type": "v"},
    ]
}


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"accepted": 3, "duplicates": 1}, Acked(3, 1)),
        (
            401,
            {"detail": "unknown or revoked worker key"},
            AuthRejected(401, "unknown or revoked worker key"),
        ),
        (403, {"detail": "disabled"}, AuthRejected(403, "disabled")),
        (413, {"detail": "too big"}, TooLarge()),
        (500, {"detail": "boom"}, Retry("http_5xx", "HTTP 500: boom")),
        (502, "Bad Gateway", Retry("http_5xx", "HTTP 502: Bad Gateway")),
        (429, {"detail": "slow down"}, Retry("http_429", "HTTP 429: slow down")),
        (404, {"detail": "Not Found"}, Retry("not_found", "HTTP 404: Not Found")),
        (
            422,
            VALIDATION_422,
            Rejected(
                422,
                {2: "line_id: unknown line 'x'; occurred_at: in the future", 5: "direction: bad"},
                "",
            ),
        ),
        (400, {"detail": "malformed"}, Rejected(400, {}, "HTTP 400: malformed")),
    ],
)
def test_classify_answers(status: int, body: object, outcome: object) -> None:
    got = classify(status, body)
    if isinstance(outcome, Rejected):
        assert isinstance(got, Rejected)
        assert (got.status, got.problems) == (outcome.status, outcome.problems)
    else:
        assert got == outcome


@pytest.mark.parametrize(
    ("crash_ages_s", "window_s", "recent"),
    [([], 600, 0), ([10, 5, 1], 600, 3), ([900, 700, 30], 600, 1)],
)
def test_recent_crashes_forget_old_ones(
    crash_ages_s: list[float], window_s: float, recent: int
) -> None:
    now_s = 1000.0
    times = collections.deque(now_s - age for age in crash_ages_s)
    assert recent_crashes(times, now_s, window_s) == recent


@pytest.mark.parametrize(
    ("recent", "u", "delay_s"), [(1, 0.0, 0.5), (1, 1.0, 1.0), (4, 0.0, 4.0), (30, 1.0, 60.0)]
)
def test_restart_delay_doubles_with_recent_crashes_and_caps(
    recent: int, u: float, delay_s: float
) -> None:
    assert restart_delay_s(recent, u=u, policy=RestartPolicy()) == pytest.approx(delay_s)
