"""Blob storage on both backends: the local directory and an S3-compatible server (moto's
S3 server from PyPI, started here on a free port) through the same tests."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from metrica.server.blobs import BlobError, BlobStore, BlobTooLarge, blob_store
from metrica.server.blobs.local import LocalBlobStore
from tests.server.conftest import make_settings
from tests.support.processes import free_port, poll


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/moto-api/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        poll(up, timeout_s=30, what="the moto S3 server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _bucket(endpoint: str) -> str:
    name = f"metrica-{uuid.uuid4().hex[:12]}"
    r = httpx.put(f"{endpoint}/{name}")  # moto accepts unsigned bucket creation
    assert r.status_code == 200, r.text
    return name


@pytest.fixture(params=["local", "s3"])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        store = blob_store(make_settings("sqlite+aiosqlite://", blob_dir=tmp_path / "b"))
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        store = blob_store(
            make_settings(
                "sqlite+aiosqlite://",
                blob_s3_bucket=_bucket(endpoint),
                blob_s3_endpoint=endpoint,
                blob_s3_access_key_id="test",
                blob_s3_secret_access_key="test",
            )
        )
    yield store
    await store.close()


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_put_get_exists_delete(blobs: BlobStore) -> None:
    assert not await blobs.exists("a/b.jpg")
    await blobs.put("a/b.jpg", b"\xff\xd8jpeg")
    assert await blobs.exists("a/b.jpg")
    assert await blobs.get("a/b.jpg") == b"\xff\xd8jpeg"
    await blobs.put("a/b.jpg", b"second")
    assert await blobs.get("a/b.jpg") == b"second"
    await blobs.delete("a/b.jpg")
    await blobs.delete("a/b.jpg")  # twice: no error
    assert not await blobs.exists("a/b.jpg")
    with pytest.raises(BlobError):
        await blobs.get("a/b.jpg")


async def test_streams_in_and_out_and_to_a_local_file(blobs: BlobStore) -> None:
    parts = [bytes([i]) * 300_000 for i in range(20)]  # 6 MB: a multipart upload on S3
    size = await blobs.put_stream("up/v.video", _chunks(parts), max_bytes=10_000_000)
    assert size == 6_000_000
    received = b"".join([c async for c in blobs.open_stream("up/v.video")])
    assert received == b"".join(parts)
    async with blobs.local_path("up/v.video") as path:
        assert path.stat().st_size == 6_000_000
        assert path.read_bytes()[:3] == b"\x00\x00\x00"


async def test_a_stream_past_its_cap_leaves_nothing(blobs: BlobStore, tmp_path: Path) -> None:
    await blobs.put("keep.jpg", b"x")
    with pytest.raises(BlobTooLarge):
        await blobs.put_stream("big.video", _chunks([b"a" * 1000] * 20), max_bytes=5_000)
    assert not await blobs.exists("big.video")
    assert await blobs.get("keep.jpg") == b"x"
    if isinstance(blobs, LocalBlobStore):
        assert sorted(p.name for p in blobs.root.rglob("*")) == ["keep.jpg"]


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "a/../../x",
        "/etc/passwd",
        ".hidden",
        "a//b",
        "a\\b",
        "a/.tmp",
        "",
        "x" * 600,
        "a\x00b",
        "é",
    ],
)
async def test_keys_cannot_leave_the_store(blobs: BlobStore, key: str) -> None:
    with pytest.raises(BlobError):
        await blobs.put(key, b"x")
    with pytest.raises(BlobError):
        await blobs.get(key)


async def test_presigned_urls(blobs: BlobStore) -> None:
    await blobs.put("crops/c.jpg", b"\xff\xd8crop")
    url = await blobs.presigned_get_url("crops/c.jpg", 60)
    if isinstance(blobs, LocalBlobStore):
        assert url is None  # the API serves local blobs itself
        return
    assert url is not None
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        r = await client.get(url)
    assert r.status_code == 200
    assert r.content == b"\xff\xd8crop"
