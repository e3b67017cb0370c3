"""Request bodies are capped per route before they are read (issue #10): 413 at once for a
declared length over the cap, 413 as soon as a chunked body passes it, memory flat; and a
client that goes away mid-upload is an INFO line, not an ERROR traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi import FastAPI

from metrica.domain.limits import EVENTS_MAX_BODY_BYTES, MAX_BATCH_EVENTS
from metrica.server.state import AppState
from tests.server.conftest import TEST_SECRET, make_settings
from tests.server.factories import make_camera, make_store
from tests.server.hostile import World, make_world
from tests.support.db import migrate, sqlite_url_in
from tests.support.processes import free_port, is_ready, poll

CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024


@dataclass
class Counted:
    """A lazily produced body of `total` bytes; `pulled` says how much the server read."""

    total: int
    pulled: int = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            size = min(CHUNK, self.total - sent)
            self.pulled += size
            sent += size
            yield b" " * size


def _routes(w: World, state: AppState) -> list[tuple[str, str, dict[str, str], int]]:
    """(method, path, headers, cap) of every route family that takes a body."""
    s = state.settings
    cam = w.camera.id
    return [
        ("POST", "/events", {}, s.events_max_body_bytes),
        ("POST", "/events", w.worker_headers, s.events_max_body_bytes),
        ("POST", "/auth/login", {}, s.auth_max_body_bytes),
        ("POST", "/auth/invitations/accept", {}, s.auth_max_body_bytes),
        ("POST", f"/cameras/{cam}/heartbeat", w.worker_headers, s.max_body_bytes),
        ("PUT", f"/cameras/{cam}/snapshot", w.worker_headers, s.snapshot_max_bytes),
        ("POST", "/admin/stores", w.admin_headers, s.max_body_bytes),
        ("PUT", f"/admin/cameras/{cam}/lines", w.admin_headers, s.max_body_bytes),
        ("POST", "/nowhere", {}, s.max_body_bytes),
    ]


async def test_declared_length_over_the_cap_is_413_without_reading(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """A 50 MB POST /events without a key was read and parsed before its 401."""
    w = await make_world(state)
    for method, path, headers, cap in _routes(w, state):
        for size in (cap + 1, FIFTY_MB):
            body = Counted(size)
            started = time.perf_counter()
            r = await client.request(
                method,
                path,
                content=body,
                headers=headers | {"Content-Length": str(size), "Content-Type": "application/json"},
            )
            assert r.status_code == 413, (path, size, r.text)
            assert r.json() == {"detail": f"request body over {cap} bytes"}
            assert body.pulled == 0, (path, body.pulled)
            assert time.perf_counter() - started < 1


async def test_chunked_body_over_the_cap_is_413_once_it_passes(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    for method, path, headers, cap in _routes(w, state):
        body = Counted(FIFTY_MB)
        r = await client.request(
            method, path, content=body, headers=headers | {"Content-Type": "application/json"}
        )
        if path == "/nowhere":  # no route reads it: nothing is read at all
            assert (r.status_code, body.pulled) == (404, 0)
            continue
        assert r.status_code == 413, (path, r.text)
        assert body.pulled <= cap + CHUNK, (path, body.pulled)


async def test_bodies_up_to_the_cap_get_through(client: httpx.AsyncClient, state: AppState) -> None:
    w = await make_world(state)
    for method, path, headers, cap in _routes(w, state):
        if path == "/events" and not headers:
            continue
        r = await client.request(
            method,
            path,
            content=b" " * (cap - 2) + b"{}",
            headers=headers | {"Content-Type": "application/json"},
        )
        assert r.status_code in (401, 404, 405, 415, 422), (path, r.status_code, r.text)


async def test_the_events_cap_holds_a_full_batch_of_the_largest_events(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """1,000 events with every field at its longest, pretty-printed, are accepted."""
    store = await make_store(state)
    line = "L" * 64
    camera, key = await make_camera(state, store, lines=(line,))
    at = datetime.now(UTC).replace(microsecond=123456).isoformat()
    events = [
        {
            "type": "line_crossed",
            "event_id": str(uuid.uuid4()),
            "camera_id": str(camera.id),
            "line_id": line,
            "direction": "out",
            "occurred_at": at,
            "track_id": 2**53 - 1,
        }
        for _ in range(MAX_BATCH_EVENTS)
    ]
    body = json.dumps({"events": events}, indent=4).encode()
    assert len(body) <= EVENTS_MAX_BODY_BYTES
    r = await client.post(
        "/events",
        content=body,
        headers={"X-Worker-Key": key, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text[:500]
    assert r.json() == {"accepted": MAX_BATCH_EVENTS, "duplicates": 0, "denied": 0}


async def test_caps_come_from_the_settings(tmp_path: Path) -> None:
    from metrica.server.app import create_app
    from tests.server.conftest import make_settings

    url = sqlite_url_in(tmp_path)
    settings = make_settings(url, auth_max_body_bytes=100, max_body_bytes=200)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        login = await c.post("/auth/login", content=b"x" * 101)
        other = await c.post("/admin/stores", content=b"x" * 201)
        fits = await c.post("/admin/stores", content=b"x" * 200)
    await app.state.metrica.engine.dispose()
    assert (login.status_code, other.status_code, fits.status_code) == (413, 413, 401)


# --- A client that goes away mid-upload ----------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def metrica_log() -> Iterator[_Capture]:
    """Records of the `metrica` logger (it does not propagate to the root, so no caplog)."""
    capture = _Capture()
    logger = logging.getLogger("metrica")
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)


async def _disconnect_mid_body(app: FastAPI, path: str, headers: dict[str, str]) -> list[Any]:
    """Drive the ASGI app by hand: one chunk of a declared 1 MB body, then the client is gone."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(1024 * 1024).encode()), (b"content-type", b"image/jpeg")],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    messages = iter(
        [
            {"type": "http.request", "body": b"\xff\xd8\xff" + b"\0" * 1000, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Any] = []

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_client_gone_mid_snapshot_is_an_info_line_not_an_error(
    app: FastAPI, state: AppState, metrica_log: _Capture
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    sent = await _disconnect_mid_body(app, f"/cameras/{camera.id}/snapshot", {"X-Worker-Key": key})
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 499
    assert not [r for r in metrica_log.records if r.levelno >= logging.ERROR]
    assert not [r for r in metrica_log.records if r.exc_info]
    (gone,) = [r for r in metrica_log.records if "disconnected" in r.getMessage()]
    assert gone.levelno == logging.INFO
    assert gone.getMessage().startswith("client disconnected before sending the whole body: PUT")


# --- The real server: memory stays flat ---------------------------------------------------


def _stream(port: int, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """Send up to `total` body bytes over a raw socket, reading the answer as soon as there
    is one; (status, bytes sent). Chunked unless headers say Content-Length."""
    chunked = "Content-Length" not in headers
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "\r\n"
    block = b" " * CHUNK
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], 1)
            if readable:
                data = sock.recv(65536)
                answer += data
                if not data or b"\r\n\r\n" in answer:
                    break
            elif writable:
                try:
                    sock.sendall(frame)
                except OSError:  # the server answered and closed: read what it said
                    sent = total
                    continue
                sent += len(block)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, sent


async def _worker_key(url: str) -> str:
    state = AppState.build(make_settings(url))
    try:
        _, key = await make_camera(state, await make_store(state))
        return key
    finally:
        await state.engine.dispose()


@contextmanager
def _serve(url: str) -> Iterator[tuple[int, psutil.Process]]:
    """`metrica serve` in its own process, as production runs it: (port, process)."""
    port = free_port()
    env = os.environ | {
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": TEST_SECRET,
        "METRICA_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "metrica.cli", "serve", "--port", str(port), "--db-url", url]
    proc = subprocess.Popen(argv, env=env)
    try:
        poll(lambda: is_ready(f"http://127.0.0.1:{port}"), timeout_s=60, what="the backend")
        yield port, psutil.Process(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_fifty_megabytes_leave_the_servers_memory_flat(tmp_path: Path) -> None:
    """Before the cap: RSS 256 -> 510 MB for one 50 MB POST /events; 17.6 s with a key."""
    url = sqlite_url_in(tmp_path)
    migrate(url)
    key = asyncio.run(_worker_key(url))
    with _serve(url) as (port, proc):
        before = proc.memory_info().rss
        started = time.perf_counter()
        for path, headers in (
            ("/events", {}),
            ("/events", {"X-Worker-Key": key}),
            ("/events", {"Content-Length": str(FIFTY_MB)}),
            ("/auth/login", {}),
            ("/auth/login", {"Content-Length": str(FIFTY_MB)}),
        ):
            status, sent = _stream(port, path, headers, FIFTY_MB)
            assert status == 413, (path, headers, status)
            assert sent < FIFTY_MB or "Content-Length" in headers
        elapsed = time.perf_counter() - started
        grown = proc.memory_info().rss - before
    assert grown < 20 * 1024 * 1024, f"RSS grew by {grown / 1e6:.1f} MB"
    assert elapsed < 10
