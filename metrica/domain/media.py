"""What kind of media a file is, from its first bytes (never from its name or the type a
client declares): the plate service accepts images and videos only."""

from __future__ import annotations

from typing import Literal

MediaKind = Literal["video", "image"]
SNIFF_BYTES = 512  # enough for every signature below (MPEG-TS needs 189)

_IMAGE_PREFIXES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",  # BMP
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)
_VIDEO_PREFIXES = (
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"FLV\x01",
)
_IMAGE_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"avif")


def sniff_media(head: bytes) -> MediaKind | None:
    """ "image", "video", or None for anything else; `head` is the file's first bytes."""
    if head.startswith(_IMAGE_PREFIXES):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head[4:8] == b"ftyp":  # ISO base media: MP4, MOV, 3GP ... and HEIF/AVIF images
        return "image" if head[8:12] in _IMAGE_BRANDS else "video"
    if head.startswith(_VIDEO_PREFIXES):
        return "video"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:  # MPEG transport stream
        return "video"
    return None
