"""The OpenAPI document says how to authenticate and every error each route may answer.

FastAPI documents the success answer and 422; the rest is derived here from what each
route depends on, so a new route is described by the same rules without anyone
remembering to: a route that needs a person (`CurrentUser`) takes a bearer JWT or the
session cookie and may answer 401 (and 403 for a superadmin route, or a cookie write from
a foreign origin); a route that needs a worker (`CurrentWorkerCamera`) takes X-Worker-Key
and may answer 401 (and 403 for another camera's id); a route that finds a store or camera
may answer 404; a route with a body may answer 400, 413 and 422; a write may answer 409.
`EXTRA` adds what only one route answers. Operation ids and success schemas are FastAPI's
(the web app's generated client depends on them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from metrica.server import deps

ERROR_SCHEMA = "ErrorPublic"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A session token from /auth/login or /auth/code/verify (or an "
        "external IdP's JWT when METRICA_JWKS_URL is set).",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": deps.SESSION_COOKIE,
        "description": "The same token in the httpOnly cookie that sign-in sets (web app).",
    },
    "workerKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Worker-Key",
        "description": "A camera's worker key (admin issues it; shown once).",
    },
    "boxKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Box-Key",
        "description": "An edge box's key, from `POST /fleet/enroll` (shown once).",
    },
}
PEOPLE: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"sessionCookie": []}]
WORKER: list[dict[str, list[str]]] = [{"workerKey": []}]
BOX: list[dict[str, list[str]]] = [{"boxKey": []}]

DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated (missing, invalid, expired or revoked credentials)",
    403: "Forbidden",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with a concurrent change; try again",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many attempts; wait for the Retry-After seconds",
    503: "Not ready",
}
# Answers only one route gives: operation id -> status codes.
# The local sign-in routes answer 404 when an external identity provider signs people in,
# and the guessable ones 429 past their rate limits.
EXTRA: dict[str, tuple[int, ...]] = {
    "login": (401, 404, 429),
    "request_login_code": (404, 429),
    "verify_login_code": (401, 404, 429),
    "accept_invitation": (400, 404),
    "change_password": (404, 429),
    "admin_create_camera": (404,),  # the store named in the body
    "ingest_events": (403,),  # events of another camera than the key's
    "get_camera_config": (404,),
    "put_snapshot": (415, 503),  # 503: the blob store cannot be written now
    "admin_get_snapshot": (503,),  # the blob store cannot be read now
    "health_ready": (503,),
    "health_deep": (503,),
    "enroll_box": (401,),  # an unknown, used or expired enrolment token
    "admin_issue_enrolment_token": (404,),  # the store named in the body
    "admin_assign_camera": (404,),  # the box named in the body
    "get_unsubscribe": (404,),  # a token that is not ours, or names no user
    "unsubscribe": (404,),
    "send_test_alert": (403, 429),  # 403: a superadmin who owns no share of the store
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is not None:
            yield current.call
        stack.extend(current.dependencies)


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
        },
    }


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside the routers that newer FastAPI keeps as included units."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def _drop_header(operation: dict[str, Any], name: str) -> None:
    """A key is described by its security scheme, not as a free-form header."""
    parameters = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("in") == "header" and p.get("name", "").lower() == name)
    ]
    if parameters:
        operation["parameters"] = parameters
    else:
        operation.pop("parameters", None)


def _describe(route: APIRoute, method: str, operation: dict[str, Any]) -> None:
    calls = set(_calls(route.dependant))
    statuses: set[int] = set(EXTRA.get(operation.get("operationId", ""), ()))
    if deps.get_current_user in calls:
        operation["security"] = PEOPLE
        statuses.add(401)
        if deps.get_superadmin in calls or method in UNSAFE_METHODS:
            statuses.add(403)
    if deps.require_ops in calls:  # a superadmin, or the ops token as a bearer token
        operation["security"] = PEOPLE
        statuses.update((401, 403))
    if deps.get_worker_camera in calls:
        operation["security"] = WORKER
        statuses.add(401)
        if "{camera_id}" in route.path_format:
            statuses.add(403)
        _drop_header(operation, "x-worker-key")
    if deps.get_current_box in calls:
        operation["security"] = BOX
        statuses.add(401)
        _drop_header(operation, "x-box-key")
    if calls & {deps.get_visible_store, deps.get_visible_camera, deps.get_visible_box} or (
        calls.intersection(deps.PLATE_RESOURCES)
    ):
        statuses.add(404)
    if "requestBody" in operation:
        statuses.update((400, 413))
    if method in UNSAFE_METHODS and deps.get_session in calls:
        statuses.add(409)
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(str(status), _error_response(status))


def describe(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Add the security schemes and error answers to FastAPI's document (in place)."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    components.setdefault("schemas", {})[ERROR_SCHEMA] = {
        "title": ERROR_SCHEMA,
        "type": "object",
        "properties": {"detail": {"type": "string", "title": "Detail"}},
        "required": ["detail"],
    }
    by_id = {r.operation_id or r.unique_id: r for r in _api_routes(routes)}
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            route = by_id.get(operation.get("operationId", ""))
            if route is None:
                raise LookupError(f"no route for operation {operation.get('operationId')!r}")
            _describe(route, method.upper(), operation)
    return document


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the described document."""
    original = app.openapi
    described = False

    def openapi() -> dict[str, Any]:
        nonlocal described
        document = original()
        if not described:
            describe(document, app.routes)
            described = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]
