"""The backup file: one tar holding the database dump and manifest.json.

Written to a temporary name and renamed, so a half-written backup never has the final
name. Read as hostile input: only the two expected regular members are looked at, the
manifest is size-capped and validated, and the dump is streamed out with its SHA-256
checked against the manifest (a damaged archive is refused before anything is restored).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from pydantic import ValidationError

from metrica.server.backups.manifest import MAX_MANIFEST_BYTES, DumpFile, Manifest

MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A one-line reason a backup, restore or verification cannot go on."""


def file_digest(path: Path) -> tuple[int, str]:
    """(bytes, sha256 hex) of a file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def write_archive(out: Path, dump: Path, manifest: Manifest) -> int:
    """Write the archive at `out` (atomically); returns its size in bytes."""
    partial = out.with_name(out.name + ".partial")
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(dump, arcname=manifest.dump.name, recursive=False)
            data = manifest.model_dump_json(indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            import io

            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out.stat().st_size


def read_archive(path: Path, into: Path) -> tuple[Manifest, Path]:
    """Check the archive at `path` and extract its dump into the folder `into`."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r:") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            meta = members.get(MANIFEST)
            if meta is None:
                raise BackupError(f"{path}: not a Metrica backup (no {MANIFEST})")
            if meta.size > MAX_MANIFEST_BYTES:
                raise BackupError(f"{path}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
            raw = tar.extractfile(meta)
            assert raw is not None
            try:
                manifest = Manifest.model_validate_json(raw.read())
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise BackupError(
                    f"{path}: {MANIFEST} is invalid at {where}: {first['msg']}"
                ) from None
            dump_member = members.get(manifest.dump.name)
            if dump_member is None:
                raise BackupError(f"{path}: the dump {manifest.dump.name} is missing")
            target = into / manifest.dump.name
            _extract_checked(tar, dump_member, target, manifest.dump, path)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path}: corrupt archive ({type(exc).__name__}: {exc})") from None
    return manifest, target


def _extract_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, expected: DumpFile, path: Path
) -> None:
    source = tar.extractfile(member)
    assert source is not None
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != expected.bytes or digest.hexdigest() != expected.sha256:
        raise BackupError(
            f"{path}: the dump's checksum differs from the manifest (the archive is damaged)"
        )
