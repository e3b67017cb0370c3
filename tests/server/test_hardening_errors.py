"""Validation errors name where and why, never echo the input (issue #10): no password in a
422, no megabyte answers to a megabyte body, and the answer is always valid JSON."""

from __future__ import annotations

import json

import httpx

from metrica.server.errors import MAX_ISSUES, MAX_LOC_CHARS, MAX_MSG_CHARS, public_issues
from metrica.server.state import AppState
from tests.server.hostile import JSON, event, make_world, raw_json

SECRET = "Tr0ub4dor&3-correct-horse"


async def test_login_422_never_echoes_the_password(client: httpx.AsyncClient) -> None:
    for body in (
        {"email": "not an email", "password": SECRET},
        {"email": "a@b.example", "password": SECRET * 100},  # too long
        {"email": "a@b.example", "password": SECRET + "\x00"},
        {"email": "a@b.example", "password": [SECRET]},
    ):
        r = await client.post("/auth/login", json=body)
        assert r.status_code == 422, r.text
        assert "Tr0ub4dor" not in r.text
        for item in r.json()["detail"]:
            assert set(item) == {"loc", "msg", "type"}


async def test_invitation_422_never_echoes_token_or_password(client: httpx.AsyncClient) -> None:
    token = "tok-" + "s3cr3t" * 10
    r = await client.post(
        "/auth/invitations/accept", json={"token": token + "\x00", "password": "pw9Qz"}
    )
    assert r.status_code == 422
    assert "s3cr3t" not in r.text
    assert "pw9Qz" not in r.text


async def test_nan_body_answers_json_naming_the_body(client: httpx.AsyncClient) -> None:
    """The default handler echoed NaN and could not serialise it: 500."""
    r = await client.post("/auth/login", content=b"NaN", headers=JSON)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert r.json()["detail"][0]["loc"] == ["body"]


async def test_a_big_invalid_value_gets_a_small_answer(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    big = "x" * 30_000
    r = await client.post(
        "/admin/stores", json={"name": big, "timezone": big}, headers=w.admin_headers
    )
    assert r.status_code == 422
    assert len(r.content) < 2_000
    assert "xxxxxxxxxx" not in r.text


async def test_long_field_names_and_messages_are_cut(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    r = await client.post(
        "/admin/stores",
        json={"name": "Shop", "timezone": "Europe/Berlin", "k" * 5_000: 1},
        headers=w.admin_headers,
    )
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert all(len(str(part)) <= MAX_LOC_CHARS for part in item["loc"])
    assert len(item["msg"]) <= MAX_MSG_CHARS
    r = await client.post(
        "/admin/stores",
        json={"name": "Shop", "timezone": "Mars/" + "y" * 58},
        headers=w.admin_headers,
    )
    assert r.status_code == 422
    assert len(r.json()["detail"][0]["msg"]) <= MAX_MSG_CHARS


async def test_a_batch_of_bad_events_lists_a_bounded_number_of_errors(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """1,000 invalid events used to answer 1,000 items echoing each event."""
    w = await make_world(state)
    schema_bad = {"events": [event(w.camera.id, direction="sideways") for _ in range(1000)]}
    unknown_line = {"events": [event(w.camera.id, line_id=f"l{i}") for i in range(1000)]}
    for batch in (schema_bad, unknown_line):
        r = await client.post("/events", json=batch, headers=w.worker_headers)
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert len(detail) == MAX_ISSUES + 1
        assert detail[0]["loc"][:3] == ["body", "events", 0]
        assert detail[-1] == {
            "loc": [],
            "msg": f"{1000 - MAX_ISSUES} more error(s) not listed",
            "type": "too_many_errors",
        }
        assert len(r.content) < 20_000


def test_public_issues_keeps_loc_msg_type_only() -> None:
    issues = public_issues(
        [
            {
                "loc": ("body", "events", 3, "track_id"),
                "msg": "Input should be less than or equal to 9223372036854775807",
                "type": "less_than_equal",
                "input": 2**64,
                "ctx": {"le": 2**63 - 1, "error": ValueError("x")},
                "url": "https://errors.pydantic.dev",
            },
            {"loc": "body", "msg": "m" * 1_000, "type": "value_error"},
        ]
    )
    assert issues[0] == {
        "loc": ["body", "events", 3, "track_id"],
        "msg": "Input should be less than or equal to 9223372036854775807",
        "type": "less_than_equal",
    }
    assert issues[1]["loc"] == ["body"]
    assert len(issues[1]["msg"]) == MAX_MSG_CHARS
    json.dumps(issues, allow_nan=False)


async def test_nan_inside_an_event_is_422(client: httpx.AsyncClient, state: AppState) -> None:
    w = await make_world(state)
    batch = {"events": [event(w.camera.id, track_id=float("nan"))]}
    r = await client.post("/events", content=raw_json(batch), headers=JSON | w.worker_headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events", 0, "track_id"]
