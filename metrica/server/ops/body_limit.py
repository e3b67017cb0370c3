"""Pure-ASGI request body caps, per path, enforced before and while the body is read.

A request whose `Content-Length` is over its path's cap is answered 413 at once, its body
never read. A body without one (chunked) is counted as it arrives and refused as soon as
it passes the cap, so memory stays at most one cap plus one chunk per request, whatever the
client sends. The first rule whose pattern matches the path wins; `default` covers the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the cap; FastAPI re-raises HTTPExceptions
    met while reading a body, so the app answers it like any other 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, rules: Sequence[tuple[str, int]], default: int) -> None:
        """`rules`: (regular expression matched at the start of the path, cap in bytes)."""
        self.app = app
        self.rules = [(re.compile(pattern), limit) for pattern, limit in rules]
        self.default = default

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.rules:
            if pattern.match(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent or not a number (the server rejects those)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.strip()
            if not text.isdigit():  # bytes.isdigit: ASCII digits only
                return None
            return int(text) if len(text) <= 18 else 10**18
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body over {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
