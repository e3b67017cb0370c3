"""JWT signing (self-hosted IdP) and the one verification path: a JWKS verifier.

Self-issued tokens are verified exactly like an external IdP's: the verifier reads the
server's own JWKS from an in-process source instead of over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHMS = {"ES256": "EC", "RS256": "RSA"}  # alg -> the only key type it may use


class TokenError(Exception):
    """A token that must not authenticate anyone (message safe to log, never the token)."""


def _b64(n: int, length: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(length, "big")).rstrip(b"=").decode()


class TokenSigner:
    """ES256 signer whose private key is derived from the server secret (stable across
    restarts and replicas without a key file)."""

    def __init__(self, secret: str, *, issuer: str, audience: str, ttl_s: int) -> None:
        seed = int.from_bytes(hashlib.sha256(b"metrica-es256:" + secret.encode()).digest())
        order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
        self._key = ec.derive_private_key(seed % (order - 1) + 1, ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        x, y = _b64(numbers.x, 32), _b64(numbers.y, 32)
        self.kid = hashlib.sha256(f"{x}.{y}".encode()).hexdigest()[:16]
        self.jwk: dict[str, str] = {
            "kty": "EC",
            "crv": "P-256",
            "x": x,
            "y": y,
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
        }
        self.issuer, self.audience, self.ttl_s = issuer, audience, ttl_s

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def issue(self, *, subject: str, email: str, role: str, version: int) -> str:
        """A token for user `subject` at token version `version` (`ver`): it names the
        user it was issued to and dies with the user or when the version is raised."""
        now = int(time.time())
        claims = {
            "sub": subject,
            "ver": version,
            "email": email,
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})


class JwksSource(Protocol):
    async def get(self, *, refresh: bool) -> dict[str, Any]: ...


class LocalJwksSource:
    """The server's own JWKS, in process."""

    def __init__(self, jwks: Callable[[], dict[str, Any]]) -> None:
        self._jwks = jwks

    async def get(self, *, refresh: bool) -> dict[str, Any]:
        return self._jwks()


class HttpJwksSource:
    """An IdP's JWKS over HTTP, cached for `cache_s`, refetched (at most every
    `min_refresh_s`) when a token names an unknown kid."""

    def __init__(
        self,
        url: str,
        *,
        cache_s: float,
        min_refresh_s: float = 10.0,
        client_factory: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(timeout=5.0),
    ) -> None:
        self._url, self._cache_s, self._min_refresh_s = url, cache_s, min_refresh_s
        self._client_factory = client_factory
        self._jwks: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self, *, refresh: bool) -> dict[str, Any]:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._jwks is None or age > self._cache_s or (refresh and age > self._min_refresh_s):
                await self._fetch()
            assert self._jwks is not None
            return self._jwks

    async def _fetch(self) -> None:
        async with self._client_factory() as client:
            response = await client.get(self._url)
            response.raise_for_status()
            self._jwks = response.json()
        self._fetched_at = time.monotonic()


class JwtVerifier:
    """Verify a JWT against a JWKS: ES256/RS256 only, key type must match the alg, iss,
    aud, exp and sub required."""

    def __init__(self, source: JwksSource, *, issuer: str, audience: str) -> None:
        self._source, self.issuer, self.audience = source, issuer, audience

    async def _key_for(self, kid: str) -> dict[str, Any] | None:
        for refresh in (False, True):
            for jwk in (await self._source.get(refresh=refresh)).get("keys", []):
                if jwk.get("kid") == kid:
                    return dict(jwk)
        return None

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise TokenError(f"algorithm {alg!r} not accepted")
        if not isinstance(kid, str):
            raise TokenError("token has no kid")
        try:
            jwk = await self._key_for(kid)
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenError(f"signing keys unavailable: {type(exc).__name__}") from exc
        if jwk is None:
            raise TokenError("unknown signing key")
        if jwk.get("kty") != ALGORITHMS[alg] or jwk.get("alg", alg) != alg:
            raise TokenError("key type does not match algorithm")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {type(exc).__name__}") from exc
        return claims
