"""Unsubscribe tokens: a link in the email turns the weekly report off without a sign-in.

The token is the user id and an HMAC of it under a key derived from the server secret, so
it cannot be forged or pointed at another user, and needs no table. It only ever turns the
report *off*: a leaked link can do no more than that."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

_PURPOSE = b"metrica.reports.unsubscribe.v1"
MAX_TOKEN_LENGTH = 100


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _mac(secret: str, user_id: uuid.UUID) -> str:
    digest = hmac.new(_key(secret), user_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def make(secret: str, user_id: uuid.UUID) -> str:
    return f"{user_id.hex}.{_mac(secret, user_id)}"


def read(secret: str, token: str) -> uuid.UUID | None:
    """The user the token names, or None for anything else (forged, truncated, junk)."""
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or token.count(".") != 1:
        return None
    raw_id, mac = token.split(".")
    try:
        user_id = uuid.UUID(hex=raw_id)
    except ValueError:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(secret, user_id).encode()):
        return None
    return user_id
