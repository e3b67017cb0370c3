"""The pure parts: plate text folding and distance, media sniffing, the trigram bound, and
the streaming multipart reader fed in chunks of every small size."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from metrica.domain.media import sniff_media
from metrica.domain.plate_text import edit_distance, fold_plate, fuzzy_limit, normalize_plate
from metrica.server.plates.runner import public_reason
from metrica.server.plates.search import trigram_threshold
from metrica.server.plates.uploads import MultipartFile, UploadError


@pytest.mark.parametrize(
    ("raw", "normalized", "folded"),
    [
        ("ab-123 cd", "AB123CD", "A8123CD"),
        ("SZ0 IO", "SZ0IO", "52010"),
        ("ÄB\x00 1", "B1", "81"),
        ("x" * 40, "X" * 16, "X" * 16),
    ],
)
def test_normalize_and_fold(raw: str, normalized: str, folded: str) -> None:
    assert normalize_plate(raw) == normalized
    assert fold_plate(normalize_plate(raw)) == folded


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("ABC", "ABC", 2, 0),
        ("ABC", "ABD", 2, 1),
        ("ABC", "AC", 2, 1),
        ("ABCDEF", "A", 2, 3),
        ("KITTEN", "SITTING", 5, 3),
    ],
)
def test_edit_distance(a: str, b: str, limit: int, expected: int) -> None:
    assert edit_distance(a, b, limit=limit) == expected


def test_fuzzy_limit_and_trigram_bound() -> None:
    assert fuzzy_limit("ABC1234") == 1
    assert fuzzy_limit("ABC12345") == 2
    assert trigram_threshold(2, 1) is None
    bound = trigram_threshold(8, 2)
    assert bound is not None
    assert 0.1 < bound < 0.2


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"\x89PNG\r\n\x1a\n\x00", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image"),
        (b"\x00\x00\x00\x18ftypheic", "image"),
        (b"\x00\x00\x00\x18ftypisom", "video"),
        (b"\x1a\x45\xdf\xa3\x01", "video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video"),
        (b"\x47" + b"\x00" * 187 + b"\x47", "video"),
        (b"%PDF-1.7", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_media(head: bytes, kind: str | None) -> None:
    assert sniff_media(head) == kind


def _body(file_bytes: bytes) -> tuple[bytes, str]:
    boundary = "xYzBoundary42"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
        ).encode()
        + file_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1000, 100_000])
async def test_the_file_field_streams_whole_in_any_chunking(size: int) -> None:
    payload = bytes(range(256)) * 40 + b"\r\n--xYzBoundary4"  # a near-boundary inside
    body, content_type = _body(payload)
    form = MultipartFile(_chunks(body, size), content_type)
    await form.open()
    assert form.filename == "clip.mp4"
    assert form.content_type == "video/mp4"
    assert len(form.head) >= 512
    assert payload.startswith(form.head)
    assert b"".join([c async for c in form.chunks()]) == payload


async def test_broken_bodies_are_upload_errors() -> None:
    with pytest.raises(UploadError):
        MultipartFile(_chunks(b"x", 1), "application/json")
    body, content_type = _body(b"data" * 100)
    form = MultipartFile(_chunks(body[:-40], 5), content_type)  # cut inside the file part
    await form.open()
    with pytest.raises(UploadError):
        _ = [c async for c in form.chunks()]
    huge_header = b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + (
        b"a" * 40_000
    )
    form = MultipartFile(_chunks(huge_header, 1000), "multipart/form-data; boundary=b")
    with pytest.raises(UploadError):
        await form.open()


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("cannot read /srv/metrica/var/blobs/uploads/ab/cd.image", "cannot read <file>"),
        ("OSError: No such file: 'C:\\data\\blobs\\x.mp4'", "OSError: No such file: '<file>'"),
        ("unsupported codec (ratio 3/4)", "unsupported codec (ratio 3/4)"),
    ],
)
def test_a_jobs_error_never_shows_the_servers_file_paths(reason: str, shown: str) -> None:
    assert public_reason(reason) == shown
