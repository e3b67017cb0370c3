"""A tiny real HTTP server on 127.0.0.1 that records every request and answers with the
statuses a test scripts: a webhook receiver outside our system."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 204
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Request) -> int:
        with self._lock:
            self.requests.append(request)
            return self.statuses.pop(0) if self.statuses else 204

    def received(self) -> list[Request]:
        with self._lock:
            return list(self.requests)


@contextmanager
def receiver(*, statuses: list[int] | None = None) -> Iterator[Receiver]:
    """Serve until the block ends; `receiver.url` ends in /hook."""
    box = Receiver(statuses=list(statuses or []))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length", "0")), 1_000_000)
            body = self.rfile.read(length)
            status = box.record(
                Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
