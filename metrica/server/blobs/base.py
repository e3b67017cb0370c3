"""What every blob backend offers, and the key rules they share."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}$")
MAX_KEY_CHARS = 512


class BlobError(Exception):
    """A key that is not allowed, or a blob that is missing."""


class BlobTooLarge(BlobError):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"blob over {max_bytes} bytes")
        self.max_bytes = max_bytes


def check_key(key: str) -> str:
    """A key is up to 8 `/`-separated segments of `A-Za-z0-9._-`, none starting with a dot,
    so that no key can leave the store's directory (`..`, absolute paths, backslashes)."""
    if len(key) > MAX_KEY_CHARS or not _KEY.match(key):
        raise BlobError(f"invalid blob key {key[:80]!r}")
    return key


class BlobStore(Protocol):
    """Bytes under keys. Writes are atomic: a reader sees the whole blob or none."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store the chunks; returns the size. Past `max_bytes` raises `BlobTooLarge` and
        nothing is left under `key`."""
        ...

    async def get(self, key: str) -> bytes:
        """The blob's bytes; `BlobError` when missing."""
        ...

    def open_stream(self, key: str) -> AsyncIterator[bytes]: ...

    def local_path(self, key: str) -> AbstractAsyncContextManager[Path]:
        """A file holding the blob for as long as the context is open (a temporary copy
        for a remote backend)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; a missing one is no error."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def presigned_get_url(self, key: str, expires_s: int) -> str | None:
        """A URL that fetches the blob without credentials, or None (local backend)."""
        ...

    async def close(self) -> None: ...
