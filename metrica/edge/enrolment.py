"""A box's own credentials: got once with an enrolment token, kept in a 0600 file.

The file holds the backend URL, the box id and the box key. It is written atomically with
mode 0600 from the start (never readable by others, even for an instant), and refused
when its mode lets anyone but the owner read or write it: a key that others could read
must be treated as leaked (revoke the box, enrol again).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from metrica.edge.settings import SettingsError, checked_api_url


class EnrolmentError(RuntimeError):
    """Enrolment failed; the message says why without repeating the token."""


@dataclass(frozen=True)
class BoxCredentials:
    api_url: str
    box_id: str
    store_id: str
    box_key: str


def enrol(
    api_url: str, token: str, *, hostname: str, version: str, timeout_s: float = 10.0
) -> BoxCredentials:
    """Exchange the one-time token for the box's credentials (`POST /fleet/enroll`)."""
    url = checked_api_url(api_url)
    try:
        response = httpx.post(
            f"{url}/fleet/enroll",
            json={"token": token, "hostname": hostname[:255], "version": version},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise EnrolmentError(f"cannot reach {url}: {type(exc).__name__}") from None
    if response.status_code == 401:
        raise EnrolmentError("the enrolment token is unknown, already used or expired")
    if response.status_code != 201:
        raise EnrolmentError(f"the backend answered HTTP {response.status_code}")
    try:
        body = response.json()
        return BoxCredentials(url, str(body["box_id"]), str(body["store_id"]), body["box_key"])
    except (ValueError, KeyError, TypeError):
        raise EnrolmentError("the backend's answer is not a box's credentials") from None


def save_credentials(path: Path, credentials: BoxCredentials) -> None:
    """Write `path` atomically, mode 0600 from its creation on."""
    write_private(path, json.dumps(asdict(credentials), indent=2) + "\n")


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, never readable by anyone but the owner."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)  # an odd umask cannot widen it, but be explicit
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_credentials(path: Path) -> BoxCredentials:
    """The box's credentials; refused when others may read or write the file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SettingsError(f"{path}: no credentials; run `metrica edge enroll` first") from None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise SettingsError(
            f"{path} has mode {stat.S_IMODE(info.st_mode):04o}: others may read the box key; "
            "make it 0600 (chmod 600), and revoke the box if it may have leaked"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return BoxCredentials(
            checked_api_url(str(raw["api_url"])),
            str(raw["box_id"]),
            str(raw["store_id"]),
            str(raw["box_key"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        raise SettingsError(f"{path}: not a box credentials file") from None
