"""Error answers that never fail and never echo what the client sent.

- Validation errors (422) name where and why, never the input: no `input`, no `ctx`, a
  short excerpt of each message and location part, and at most `MAX_ISSUES` items (then one
  more saying how many were left out). FastAPI's default echoes the raw input, which
  repeats passwords, answers megabytes to a megabyte body, and cannot even be serialised
  when the input holds NaN (the 500 that a body of `NaN` caused).
- A client that goes away while sending its body is logged as that (INFO, status 499, as
  nginx calls it), not as a server error with a traceback.
- A write that collides with a concurrent one (a unique key, a row deleted meanwhile) is a
  409 for the client to retry, not a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect

from metrica.domain.fields import PATTERN_RULES
from metrica.server.ops.metrics import EVENTS_REJECTED

log = logging.getLogger("metrica.http")

MAX_ISSUES = 50
MAX_MSG_CHARS = 200
MAX_LOC_CHARS = 64
CLIENT_CLOSED_REQUEST = 499


def excerpt(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters (an ellipsis says it was cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def public_issues(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as `{loc, msg, type}` items fit to send back (see module doc)."""
    issues = [
        {
            "loc": [_loc_part(p) for p in _as_iterable(e.get("loc", ()))],
            "msg": excerpt(_message(e), MAX_MSG_CHARS),
            "type": excerpt(str(e.get("type", "value_error")), MAX_LOC_CHARS),
        }
        for e in errors[:MAX_ISSUES]
    ]
    if len(errors) > MAX_ISSUES:
        issues.append(
            {
                "loc": [],
                "msg": f"{len(errors) - MAX_ISSUES} more error(s) not listed",
                "type": "too_many_errors",
            }
        )
    return issues


def _message(error: Mapping[str, Any]) -> str:
    """The error's message; a pattern of `fields` in words (its raw form is unreadable)."""
    ctx = error.get("ctx")
    if isinstance(ctx, Mapping) and ctx.get("pattern") in PATTERN_RULES:
        return PATTERN_RULES[ctx["pattern"]]
    return str(error.get("msg", "invalid"))


def _as_iterable(loc: object) -> Iterable[object]:
    return loc if isinstance(loc, list | tuple) else (loc,)


def _loc_part(part: object) -> int | str:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    return excerpt(str(part), MAX_LOC_CHARS)


async def _validation_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path == "/events":
        EVENTS_REJECTED.labels(reason="invalid").inc()
    return JSONResponse({"detail": public_issues(exc.errors())}, status_code=422)


async def _client_disconnected(request: Request, exc: Exception) -> Response:
    log.info(
        "client disconnected before sending the whole body: %s %s",
        request.method,
        request.url.path,
    )
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _conflict(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IntegrityError)
    log.warning(
        "write refused, it conflicts with another: %s %s (%s)",
        request.method,
        request.url.path,
        type(exc.orig).__name__,
    )
    return JSONResponse(
        {"detail": "conflicting change (a concurrent write or a deleted row); try again"},
        status_code=409,
    )


def install(app: FastAPI) -> None:
    """Register the handlers above on `app`."""
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(IntegrityError, _conflict)
