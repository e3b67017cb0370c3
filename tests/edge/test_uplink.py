"""What each backend answer means for a batch, table-driven: acknowledged, refused for
good (auth), too large, retried, or rejected with the events at fault named; and what it
means for the worker's key."""

from __future__ import annotations

import logging

import pytest

from metrica.edge.uplink import (
    Acked,
    AuthRejected,
    KeyStatus,
    Rejected,
    Retry,
    TooLarge,
    classify,
)

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


def test_key_status_changes_on_401_403_and_2xx_only_and_is_said_once_per_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = KeyStatus()
    with caplog.at_level(logging.INFO, logger="metrica.edge.uplink"):
        for code in (200, 500, 401, 401, 403, 503, 404):
            status.note(code, "unknown or revoked worker key")
        assert (status.refused, status.detail) == (True, "HTTP 401: unknown or revoked worker key")
        status.note(204, "")
        assert (status.refused, status.detail) == (False, "")
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2
    assert said[0].startswith("worker key refused by the backend (HTTP 401: unknown or revoked")
    assert said[1] == "worker key accepted again"
