"""`RustValidatedRoute` (POST /events): a valid body is validated once, from the raw bytes;
every other body gets exactly the answer FastAPI gave before."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import request_response

from metrica.server.app import create_app
from metrica.server.settings import Settings
from tests.server.hostile import HOSTILE_VALUES, event, make_world, nested, raw_json


def _with_fastapi_parsing(app: FastAPI) -> FastAPI:
    """The same app with POST /events handled as FastAPI does it (json.loads, validate)."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path == "/events":
            route.app = request_response(APIRoute.get_route_handler(route))
    return app


async def test_every_refused_body_is_answered_as_fastapi_answered_it(
    app: FastAPI, settings: Settings
) -> None:
    plain = _with_fastapi_parsing(create_app(settings))
    w = await make_world(app.state.metrica)
    cam = w.camera.id
    key = w.worker_headers
    json_type = {"content-type": "application/json"}
    bodies: list[tuple[bytes, dict[str, str]]] = [
        (b"", json_type),
        (b"{", json_type),
        (b"[]", json_type),
        (b"null", json_type),
        (b'{"events": {}}', json_type),
        (nested(200), json_type),
        (raw_json({"events": [event(cam, track_id=float("nan"))]}), json_type),
        (raw_json({"events": [event(cam)], "extra": 1}), json_type),
        (raw_json({"events": [event(cam)] * 1001}), json_type),
        (json.dumps({"events": [event(cam, camera_id="c\ud800")]}).encode(), json_type),
        (json.dumps({"events": [event(cam)]}).encode("utf-16"), json_type),
        (b"\xef\xbb\xbf" + json.dumps({"events": [event(cam)]}).encode(), json_type),
        (json.dumps({"events": [event(cam)]}).encode(), {}),
        (json.dumps({"events": [event(cam)]}).encode(), {"content-type": "text/plain"}),
    ]
    for field in ("event_id", "camera_id", "line_id", "direction", "occurred_at", "track_id"):
        for value in HOSTILE_VALUES[:20]:
            bodies.append((raw_json({"events": [event(cam, **{field: value})]}), json_type))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as new,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as old,
    ):
        compared = 0
        for body, headers in bodies:
            for auth in (key, {}):
                a = await new.post("/events", content=body, headers=headers | auth)
                b = await old.post("/events", content=body, headers=headers | auth)
                if a.status_code == 200 or b.status_code == 200:
                    # accepted by both (the second as duplicates of the first)
                    assert (a.status_code, b.status_code) == (200, 200), body[:200]
                    continue
                assert (a.status_code, a.json()) == (b.status_code, b.json()), body[:200]
                compared += 1
    await plain.state.metrica.engine.dispose()
    assert compared > 200


async def test_a_valid_body_is_not_parsed_by_json_loads(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starlette.requests

    w = await make_world(app.state.metrica)

    class NoJsonLoads:
        @staticmethod
        def loads(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("Starlette's request.json() parsed the body")

    monkeypatch.setattr(starlette.requests, "json", NoJsonLoads)
    body = json.dumps({"events": [event(w.camera.id), event(w.camera.id)]})
    r = await client.post(
        "/events",
        content=body,
        headers=w.worker_headers | {"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0, "denied": 0}
