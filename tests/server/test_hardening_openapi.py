"""The OpenAPI document declares how to authenticate, every error a route answers, and
bounds on every input (issue #10: schemathesis found 35 undocumented 400/401/403/404)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from metrica.domain.limits import MAX_INT64
from metrica.server.app import create_app
from metrica.server.openapi import BOX, ERROR_SCHEMA, PEOPLE, WORKER
from tests.server.conftest import make_settings

Document = dict[str, Any]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Document:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('oa') / 'x.db'}"
    doc: Document = create_app(make_settings(url)).openapi()
    return doc


def _operations(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def _kind(path: str) -> str:
    if path in (
        "/auth/me",
        "/auth/password",
        "/health/deep",
        "/reports/preferences",
    ) or path.startswith(("/admin/", "/stores", "/live/", "/dashboard/", "/plates")):
        return "people"
    if path == "/events" or path.startswith("/cameras/"):
        return "worker"
    if path.startswith("/fleet/box/"):
        return "box"
    return "public"


def test_security_schemes_are_declared(document: Document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == schemes["bearerAuth"] | {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert (schemes["sessionCookie"]["type"], schemes["sessionCookie"]["in"]) == (
        "apiKey",
        "cookie",
    )
    assert schemes["sessionCookie"]["name"] == "metrica_session"
    assert (schemes["workerKey"]["in"], schemes["workerKey"]["name"]) == ("header", "X-Worker-Key")
    assert (schemes["boxKey"]["in"], schemes["boxKey"]["name"]) == ("header", "X-Box-Key")


def test_every_operation_says_how_it_authenticates(document: Document) -> None:
    for path, method, op in _operations(document):
        kind = _kind(path)
        expected = {"people": PEOPLE, "worker": WORKER, "box": BOX, "public": None}[kind]
        assert op.get("security") == expected, (method, path)
        names = [p["name"].lower() for p in op.get("parameters", [])]
        assert "x-worker-key" not in names, (method, path)
        assert "x-box-key" not in names, (method, path)
        if expected is not None:
            assert "401" in op["responses"], (method, path)
        if path.startswith("/admin/"):
            assert "403" in op["responses"], (method, path)


def test_error_answers_are_declared_with_their_schema(document: Document) -> None:
    for path, method, op in _operations(document):
        responses = op["responses"]
        if "requestBody" in op:
            assert {"400", "413", "422"} <= set(responses), (method, path)
        if "{store_id}" in path or "{camera_id}" in path:
            assert "404" in responses or "403" in responses, (method, path)
        for status, answer in responses.items():
            if status.startswith("4") and status != "422":
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    assert document["components"]["schemas"][ERROR_SCHEMA]["required"] == ["detail"]
    ops = {op["operationId"]: op for _, _, op in _operations(document)}
    assert "401" in ops["login"]["responses"]
    assert "403" in ops["ingest_events"]["responses"]
    assert "415" in ops["put_snapshot"]["responses"]
    assert "503" in ops["health_ready"]["responses"]
    assert {"401", "403", "503"} <= set(ops["health_deep"]["responses"])


def _resolve(doc: Document, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _unbounded(doc: Document, schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Places in an input schema that a client could fill without a bound."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen = seen | {schema["$ref"]}
    schema = _resolve(doc, schema)
    problems: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for i, part in enumerate(schema.get(key, [])):
            problems += _unbounded(doc, part, f"{where}|{i}", seen)
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None or high > MAX_INT64 or low < -MAX_INT64 - 1:
            problems.append(f"{where}: integer without bounds a bigint holds")
    elif kind == "string":
        bounded = "maxLength" in schema or "enum" in schema or "const" in schema
        fixed = schema.get("format") in ("uuid", "date", "date-time", "binary")
        if not (bounded or fixed or schema.get("pattern", "").endswith("}$")):
            problems.append(f"{where}: string without maxLength")
    elif kind == "array":
        if "maxItems" not in schema:
            problems.append(f"{where}: array without maxItems")
        problems += _unbounded(doc, schema.get("items", {}), f"{where}[]", seen)
    elif kind == "object":
        for name, prop in schema.get("properties", {}).items():
            problems += _unbounded(doc, prop, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                problems.append(f"{where}: object without maxProperties")
            problems += _unbounded(
                doc, schema.get("propertyNames", {"type": "string"}), f"{where}{{key}}", seen
            )
            problems += _unbounded(doc, extra, f"{where}{{}}", seen)
    return problems


def test_every_input_is_bounded(document: Document) -> None:
    """Integers fit a bigint (most much less), strings and lists have a maximum length."""
    problems: list[str] = []
    for path, method, op in _operations(document):
        for param in op.get("parameters", []):
            problems += _unbounded(
                document, param["schema"], f"{method} {path} ?{param['name']}", set()
            )
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            if media == "application/json":
                problems += _unbounded(document, content["schema"], f"{method} {path} body", set())
    assert problems == []


def test_heartbeat_counters_are_declared_as_wide_as_their_columns(document: Document) -> None:
    heartbeat = document["components"]["schemas"]["Heartbeat"]["properties"]
    assert heartbeat["frames_processed"]["maximum"] == 2**53 - 1
    assert heartbeat["outbox_depth"]["maximum"] == 2**31 - 1
    event = document["components"]["schemas"]["LineCrossed"]["properties"]
    assert event["track_id"]["maximum"] == 2**53 - 1
