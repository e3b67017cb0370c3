"""Camera secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with rotation.

Keys come from `METRICA_FLEET_SECRETS_KEYS` (comma-separated Fernet keys, the first
encrypts, every one decrypts), else one key derived from `METRICA_SECRET_KEY` with HKDF
(so changing the secret key without setting the keys makes stored sources unreadable:
rotate by listing the new key first and the old one after, then `rotate_all`).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"metrica fleet camera secrets v1"


class SecretsError(ValueError):
    """A stored secret that no configured key opens (wrong or rotated-away key)."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from the server secret (HKDF-SHA256, fixed info)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


class SecretBox:
    """Encrypts and decrypts short text secrets (source URLs, worker keys)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise ValueError("METRICA_FLEET_SECRETS_KEYS: each key must be a Fernet key") from None

    @classmethod
    def from_settings(cls, configured: str | None, secret_key: str) -> SecretBox:
        if configured:
            return cls([k.strip().encode() for k in configured.split(",") if k.strip()])
        return cls([derived_key(secret_key)])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretsError("a stored camera secret cannot be decrypted") from None

    def rotate(self, token: str) -> str:
        """`token` re-encrypted with the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretsError("a stored camera secret cannot be decrypted") from None
