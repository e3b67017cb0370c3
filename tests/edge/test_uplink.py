"""What each backend answer means for a batch, table-driven: acknowledged, refused for
good (auth), too large, retried, or rejected with the events at fault named."""

from __future__ import annotations

import pytest

from metrica.edge.uplink import Acked, AuthRejected, Rejected, Retry, TooLarge, classify

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
