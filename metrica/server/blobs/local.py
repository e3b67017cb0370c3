"""Blobs as files under one directory; writes go to a temporary file, then a rename."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from metrica.server.blobs.base import BlobError, BlobTooLarge, check_key

_READ_CHUNK = 1024 * 1024


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # defence in depth: check_key forbids it
            raise BlobError(f"invalid blob key {key[:80]!r}")
        return path

    def _temp_for(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")

    async def put(self, key: str, data: bytes) -> None:
        path = self._path(key)

        def write() -> None:
            temp = self._temp_for(path)
            try:
                temp.write_bytes(data)
                os.replace(temp, path)
            finally:
                temp.unlink(missing_ok=True)

        await asyncio.to_thread(write)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        path = self._path(key)
        temp = await asyncio.to_thread(self._temp_for, path)
        size = 0
        try:
            with temp.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(max_bytes)
                    await asyncio.to_thread(out.write, chunk)
            await asyncio.to_thread(os.replace, temp, path)
        finally:
            await asyncio.to_thread(temp.unlink, missing_ok=True)
        return size

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobError(f"no blob {key!r}") from None

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobError(f"no blob {key!r}") from None
        with handle:
            while chunk := await asyncio.to_thread(handle.read, _READ_CHUNK):
                yield chunk

    @contextlib.asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise BlobError(f"no blob {key!r}")
        yield path

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def presigned_get_url(self, key: str, expires_s: int) -> str | None:
        check_key(key)
        return None

    async def close(self) -> None:
        return None
