"""Policy rules, one table per rule type: deny (by camera and hours), drop, redact (by
role), allow (a store undoing a global rule), and what a rule may not say."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

import pytest
from pydantic import ValidationError

from metrica.domain.policies import Policy, apply, mask

CAMERA, OTHER = uuid.uuid4(), uuid.uuid4()
STORE = uuid.uuid4()
CROSSING = {"type": "line_crossed", "event_id": "e1", "line_id": "door", "track_id": 7}
PLATE = {"type": "plate_read", "event_id": "e2", "text": "AB123CD", "confidence": 0.9}


def policy(rules: list[dict[str, Any]], stores: dict[str, Any] | None = None) -> Policy:
    return Policy.model_validate({"version": 1, "rules": rules, "stores": stores or {}})


@pytest.mark.parametrize(
    ("camera", "local", "stored"),
    [(CAMERA, time(23, 30), False), (CAMERA, time(5, 59), False), (CAMERA, time(12), True),
     (OTHER, time(23, 30), True)],
)  # fmt: skip
def test_deny_a_cameras_events_during_hours(camera: uuid.UUID, local: time, stored: bool) -> None:
    rules = policy(
        [{"event": "line_crossed", "action": "deny", "stage": "ingest",
          "cameras": [str(CAMERA)], "hours": {"start": "22:00", "end": "06:00"}}]
    )  # fmt: skip
    out = apply(rules, CROSSING, stage="ingest", camera=camera, local=local)
    assert (out is not None) is stored


def test_drop_track_ids_before_storage() -> None:
    rules = policy(
        [{"event": "line_crossed", "field": "track_id", "action": "drop", "stage": "ingest"}]
    )
    assert apply(rules, CROSSING, stage="ingest") == {
        k: v for k, v in CROSSING.items() if k != "track_id"
    }
    assert apply(rules, CROSSING, stage="read") == CROSSING  # an ingest rule does not act at read


@pytest.mark.parametrize(("role", "text"), [("owner", "AB•••CD"), ("clerk", "AB123CD")])
def test_plate_text_masked_for_owners_full_for_clerks(role: str, text: str) -> None:
    rules = policy(
        [{"event": "plate_read", "field": "text", "action": "redact", "roles": ["owner"]}]
    )
    out = apply(rules, PLATE, stage="read", role=role)  # type: ignore[arg-type]
    assert out is not None
    assert out["text"] == text
    assert PLATE["text"] == "AB123CD"  # the input is not changed


def test_a_store_rule_allows_what_a_global_rule_redacts() -> None:
    rules = policy(
        [{"field": "text", "action": "redact"}],
        {str(STORE): [{"event": "plate_read", "field": "text", "action": "allow"}]},
    )
    assert apply(rules, PLATE, stage="read", store=STORE)["text"] == "AB123CD"  # type: ignore[index]
    assert apply(rules, PLATE, stage="read", store=uuid.uuid4())["text"] == "AB•••CD"  # type: ignore[index]


def test_a_later_deny_wins_and_allow_undoes_it() -> None:
    deny = {"event": "plate_read", "action": "deny"}
    assert apply(policy([deny]), PLATE, stage="read") is None
    assert (
        apply(policy([deny, {"event": "plate_read", "action": "allow"}]), PLATE, stage="read")
        == PLATE
    )
    assert apply(policy([deny]), CROSSING, stage="read") == CROSSING  # another event type


@pytest.mark.parametrize(
    ("value", "masked"),
    [("AB123CD", "AB•••CD"), ("AB 12 CD", "AB•••CD"), ("ABC", "•••"), (12345, "•••")],
)
def test_mask(value: object, masked: str) -> None:
    assert mask(value) == masked


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "redact"},  # redact what?
        {"field": "text", "action": "deny"},  # deny is for whole events
        {"field": "event_id", "action": "drop"},  # identifies the event
        {"field": "text", "action": "redact", "stage": "ingest", "roles": ["owner"]},
        {"action": "deny", "hours": {"start": "22:00", "end": "22:00"}},
        {"action": "explode"},
        {"event": "Line Crossed", "action": "deny"},
        {"action": "deny", "roles": ["janitor"]},
        {"action": "deny", "surprise": 1},
    ],
)
def test_rules_that_cannot_mean_anything_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        policy([rule])
