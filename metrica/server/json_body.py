"""A route whose JSON body is parsed and validated in one pass in Rust (pydantic-core).

FastAPI parses a body with `json.loads` and then validates the Python objects: two passes,
the first building a dict per item only for the second to read it. `RustValidatedRoute`
first tries `TypeAdapter(Model).validate_json(raw bytes)`; when that succeeds, FastAPI is
handed the validated model as the parsed body, and its own validation lets a model
instance through as it is. Everything else stays FastAPI's: the OpenAPI document (the
route is declared as before), dependencies in their order, and every failure: a body
that `validate_json` refuses (or a content type FastAPI would not parse) goes FastAPI's
way untouched, so its 422 (or 400/413) is exactly what it was. Worth it on a hot route
with large bodies (`POST /events`: 500 events a request).
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response


def is_json_content_type(value: str | None) -> bool:
    """Whether FastAPI parses a body of this content type as JSON (`application/json` or
    `application/*+json`; with none it does not: strict content type)."""
    if not value:
        return False
    message = email.message.Message()
    message["content-type"] = value
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class RustValidatedRoute(APIRoute):
    """An APIRoute whose single body model is validated from the raw bytes first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        field = self.body_field
        if field is None or field.field_info.annotation is None:
            return handler
        adapter: TypeAdapter[Any] = TypeAdapter(field.field_info.annotation)

        async def validated_first(request: Request) -> Response:
            if is_json_content_type(request.headers.get("content-type")):
                body = await request.body()  # cached on the request: FastAPI reads it again
                if body:
                    # Refused: FastAPI parses and validates it again and answers as before.
                    with suppress(ValidationError):
                        # What Starlette's `request.json()` returns from now on (a private
                        # attribute: were it renamed, FastAPI would parse the body again,
                        # slower but the same).
                        request._json = adapter.validate_json(body)
            return await handler(request)

        return validated_first
