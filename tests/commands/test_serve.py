"""`metrica serve` stops in order on SIGTERM: the listening socket closes at once (new
connections are refused), requests in flight still get their answers, and the process
exits 0. Real process, real SQLite, requests held open by clients that have sent half
their body."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support.backend import Backend, CameraKey, provision, stored
from tests.support.data import PLAZA
from tests.support.db import migrate, sqlite_url_in
from tests.support.processes import poll


def _batch(camera: CameraKey, n: int) -> bytes:
    line = PLAZA.lines[0].line_id
    now = datetime.now(UTC).isoformat()  # the server refuses events far from its clock
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "camera_id": camera.camera_id,
            "line_id": line,
            "direction": "in",
            "occurred_at": now,
            "track_id": i,
        }
        for i in range(n)
    ]
    return json.dumps({"events": events}).encode()


def _start_request(port: int, camera: CameraKey, body: bytes) -> socket.socket:
    """A POST /events whose headers and first half of the body are sent; the rest later."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Worker-Key: {camera.key}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body[: len(body) // 2])
    return sock


def _finish_request(sock: socket.socket, body: bytes) -> tuple[int, bytes]:
    """Send the rest of the body; the status and the raw answer (read to the close)."""
    sock.sendall(body[len(body) // 2 :])
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    return int(answer.split(b" ", 2)[1]), answer


def _in_flight(url: str) -> float:
    """`metrica_http_requests_in_flight` less the scrape that asks."""
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith("metrica_http_requests_in_flight "):
            return float(line.split()[-1]) - 1
    raise AssertionError("no metrica_http_requests_in_flight")


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_requests_in_flight_refuses_new_ones_and_exits_0(
    tmp_path: Path,
) -> None:
    url = sqlite_url_in(tmp_path)
    migrate(url)
    camera = provision(url)
    backend = Backend(url, env={"METRICA_SHUTDOWN_TIMEOUT_S": "60"}).start()
    try:
        bodies = [_batch(camera, 5), _batch(camera, 7)]
        held = [_start_request(backend.port, camera, body) for body in bodies]
        poll(lambda: _in_flight(backend.url) == 2, timeout_s=30, what="2 requests in flight")

        backend.terminate()
        poll(lambda: _refused(backend.port), timeout_s=30, what="new connections refused")
        answers = [_finish_request(sock, body) for sock, body in zip(held, bodies, strict=True)]
        assert [status for status, _ in answers] == [200, 200], answers
        assert backend.wait() == 0
    finally:
        backend.stop()
    assert _refused(backend.port)
    assert stored(url, camera.camera_id).rows == 12
