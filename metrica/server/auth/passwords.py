"""Password hashing off the event loop, a few at a time.

Argon2 is slow on purpose (tens of milliseconds of CPU and 64 MiB per hash). Run on the
event loop it stalls every other request while a client loops failed sign-ins; run in
an unbounded pool it lets that client take every core. So hashes run in worker threads
(argon2-cffi releases the GIL), at most `max_concurrent` at once; the rest wait their turn
without blocking the loop.
"""

from __future__ import annotations

from typing import Protocol

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Verified against when there is no real hash, so that a missing account costs the same.
_DUMMY_HASH = PasswordHasher().hash("timing-equaliser")


class SyncHasher(Protocol):
    """What we use of `argon2.PasswordHasher` (tests pass one that blocks on an event)."""

    def hash(self, password: str) -> str: ...

    def verify(self, hash: str, password: str) -> bool: ...


class Passwords:
    """Hash and verify passwords in a bounded thread pool."""

    def __init__(self, hasher: SyncHasher | None = None, *, max_concurrent: int = 2) -> None:
        self._hasher: SyncHasher = hasher or PasswordHasher()
        self._limiter = anyio.CapacityLimiter(max_concurrent)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with no hash it still does the work of one (so a
        missing account or password takes as long as a wrong one) and answers False."""

        def check() -> bool:
            try:
                matches = self._hasher.verify(password_hash or _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                return False
            return matches and password_hash is not None

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)
