"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto) through obstore.

obstore (Rust `object_store` bindings) is async without a thread pool, streams multipart
uploads from an async iterator, and signs GET URLs locally; boto3 is sync and aioboto3
wraps it with a second, heavier dependency tree.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import obstore
from obstore.store import S3Store

from metrica.server.blobs.base import BlobError, BlobTooLarge, check_key


class S3BlobStore:
    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "",
    ) -> None:
        config: dict[str, str] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        allow_http = bool(endpoint and endpoint.startswith("http://"))
        self._store = S3Store(
            bucket,
            config=config,  # type: ignore[arg-type]
            client_options={"allow_http": allow_http, "timeout": "60s"},
        )
        self._prefix = prefix.strip("/")

    def _path(self, key: str) -> str:
        check_key(key)
        return f"{self._prefix}/{key}" if self._prefix else key

    async def put(self, key: str, data: bytes) -> None:
        await obstore.put_async(self._store, self._path(key), data)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        path = self._path(key)
        size = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise BlobTooLarge(max_bytes)
                yield chunk

        try:
            await obstore.put_async(self._store, path, counted())
        except BaseException:
            # A failed multipart upload is aborted by obstore; a small one never landed.
            with contextlib.suppress(Exception):
                await obstore.delete_async(self._store, path)
            if size > max_bytes:
                raise BlobTooLarge(max_bytes) from None
            raise
        return size

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, self._path(key))
        except FileNotFoundError:
            raise BlobError(f"no blob {key!r}") from None
        return bytes(await result.bytes_async())

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        try:
            result = await obstore.get_async(self._store, self._path(key))
        except FileNotFoundError:
            raise BlobError(f"no blob {key!r}") from None
        async for chunk in result.stream(min_chunk_size=1024 * 1024):
            yield bytes(chunk)

    @contextlib.asynccontextmanager
    async def local_path(self, key: str) -> AsyncIterator[Path]:
        suffix = Path(key).suffix
        with tempfile.TemporaryDirectory(prefix="metrica-blob-") as directory:
            path = Path(directory) / f"blob{suffix}"
            with path.open("wb") as out:
                async for chunk in self.open_stream(key):
                    out.write(chunk)
            yield path

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, self._path(key))

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, self._path(key))
        except FileNotFoundError:
            return False
        return True

    async def presigned_get_url(self, key: str, expires_s: int) -> str | None:
        return await obstore.sign_async(
            self._store, "GET", self._path(key), timedelta(seconds=expires_s)
        )

    async def close(self) -> None:
        return None
