"""Webhook POSTs: a JSON body, signed, retried with backoff, never into the LAN unless
allowed (a store owner types the URL: it must not reach our own network)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from metrica.domain.alerts import sign

log = logging.getLogger("metrica.alerts.webhook")
Sleep = Callable[[float], Awaitable[None]]


async def public_host(url: str) -> bool:
    """Whether every address the URL's host resolves to is a public one."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.scheme not in ("http", "https"):
        return False
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        )
    except (OSError, UnicodeError, ValueError):
        return False
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global for a in addresses)


def alert_headers(secret: str, body: bytes, event: str) -> dict[str, str]:
    """The headers of every alert POST: the body's HMAC signature and what it is."""
    return {
        "X-Metrica-Signature": sign(secret, body),
        "X-Metrica-Event": event,
        "User-Agent": "Metrica-Alerts/1",
    }


def _failure(exc: httpx.HTTPError) -> str:
    """Why a POST failed, in words that carry neither the URL nor the server's text."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return "the connection failed"


async def post_json(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    timeout_s: float,
    tries: int,
    backoff_s: float,
    sleep: Sleep = asyncio.sleep,
) -> str | None:
    """POST `body` until a 2xx answer, at most `tries` times, waiting `backoff_s`, then
    twice as long, between tries. A 4xx other than 408/429 is final (the receiver refuses
    it; trying again would not change its mind). Redirects are not followed. Returns None
    when delivered, else the last reason ("answered HTTP 503", "no answer in time", ...),
    safe to show the owner: it carries neither the URL nor the receiver's text."""
    reason = "not tried"
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
        for attempt in range(tries):
            if attempt:
                await sleep(backoff_s * 2 ** (attempt - 1))
            try:
                response = await client.post(
                    url, content=body, headers={"Content-Type": "application/json", **headers}
                )
            except httpx.HTTPError as exc:
                log.warning("alert webhook try %d failed: %s", attempt + 1, type(exc).__name__)
                reason = _failure(exc)
                continue
            if response.status_code < 300:
                return None
            log.warning("alert webhook try %d answered %d", attempt + 1, response.status_code)
            reason = f"answered HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code not in (408, 429):
                return reason
    return reason
