"""Pure-ASGI middleware: request id, access log, request metrics by route template."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metrica.server.ops.logging import request_id
from metrica.server.ops.metrics import HTTP_IN_FLIGHT, HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("metrica.http")

# A caller's X-Request-Id is kept (and echoed) only when it is short and harmless in a
# header, a log line or an HTML page; otherwise the request gets a fresh id.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id_for(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-Id if it is safe (see `_SAFE_REQUEST_ID`), else a new one."""
    for name, value in headers:
        if name == b"x-request-id" and _SAFE_REQUEST_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_for(scope["headers"])
        token = request_id.set(rid)
        started = time.perf_counter()
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            HTTP_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "<unmatched>")
            method = scope["method"]
            HTTP_REQUESTS.labels(route, method, str(status_code)).inc()
            HTTP_LATENCY.labels(route, method).observe(elapsed)
            log.info(
                "%s %s %d %.1fms",
                method,
                route,
                status_code,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)
