"""Helpers for tests that run our real processes: free ports and polling with a deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def free_port() -> int:
    """A port nothing listens on (the socket that found it is closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def poll(check: Callable[[], T], *, timeout_s: float, what: str, every_s: float = 0.25) -> T:
    """Call `check` until it returns something truthy and return that; anything falsy
    (None, False, 0, empty) means "not yet". Checks at least once, and once more at the
    deadline; then fails naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def is_ready(base_url: str) -> bool | None:
    """True once the backend answers /health/ready with 200, else None (keep polling)."""
    try:
        ok = httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return None
    return True if ok else None
