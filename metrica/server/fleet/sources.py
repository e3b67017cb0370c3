"""Camera source URLs: which ones a box may be told to open, and how an admin sees them."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "•••"
SOURCE_SCHEMES = ("rtsp", "rtsps", "http", "https")
_SECRET_QUERY_KEYS = re.compile(r"pass|pwd|token|key|secret|auth|sig", re.IGNORECASE)


def check_source(value: str) -> str:
    """A camera source a box can open: rtsp(s)/http(s) URL with a host, an absolute file
    path, or a webcam index; else ValueError saying which."""
    if value.isdigit() and len(value) <= 3:
        return value
    if value.startswith("/"):
        return value
    parts = urlsplit(value)
    if parts.scheme.lower() not in SOURCE_SCHEMES or not parts.hostname:
        raise ValueError(
            "expected rtsp(s):// or http(s):// URL with a host, an absolute file path or a "
            "webcam index"
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("bad port in the source URL") from None
    return value


def masked_source(source: str) -> str:
    """`source` fit to show an admin: the URL's password and secret-looking query values
    replaced by `MASK`, the user name kept (it tells which account the camera uses)."""
    if "://" not in source:
        return source
    try:
        parts = urlsplit(source)
        netloc = parts.netloc
        if parts.password is not None or "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user = userinfo.partition(":")[0]
            netloc = f"{user}:{MASK}@{hostport}" if user else f"{MASK}@{hostport}"
        query = "&".join(_mask_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
        return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return MASK


def _mask_pair(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    return f"{name}{sep}{MASK}" if sep and _SECRET_QUERY_KEYS.search(name) else pair
