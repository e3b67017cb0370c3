"""`metrica fleet rotate-secrets`: stored camera sources move to the new key, all or
nothing, and the old key can then go."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from metrica.cli import main
from metrica.server.cameras.models import Camera
from metrica.server.db import create_engine, session_factory
from metrica.server.fleet.models import BoxCamera
from metrica.server.fleet.secrets import SecretBox, SecretsError
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate
from tests.support.db import migrate, sqlite_url_in

SOURCE = "rtsp://u:pw@cam/1"


def _stored(db_url: str, encrypt: SecretBox | None = None) -> str:
    """Store a camera source encrypted with `encrypt` (or read the one stored)."""

    async def run() -> str:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                if encrypt is not None:
                    store = await stores.create(
                        session=session, data=StoreCreate(name="S", timezone="UTC")
                    )
                    camera = Camera(store_id=store.id, name="c")
                    session.add(camera)
                    await session.flush()
                    session.add(
                        BoxCamera(camera_id=camera.id, source_encrypted=encrypt.encrypt(SOURCE))
                    )
                    await session.commit()
                token = await session.scalar(select(BoxCamera.source_encrypted))
                assert token is not None
                return token
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_rotation_moves_secrets_to_the_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = sqlite_url_in(tmp_path)
    migrate(db_url)
    old, new = Fernet.generate_key(), Fernet.generate_key()
    _stored(db_url, encrypt=SecretBox([old]))
    monkeypatch.setenv("METRICA_FLEET_SECRETS_KEYS", Fernet.generate_key().decode())
    assert main(["fleet", "rotate-secrets", "--db-url", db_url]) == 2  # no key opens it
    assert "nothing was changed" in capsys.readouterr().err
    assert SecretBox([old]).decrypt(_stored(db_url)) == SOURCE

    monkeypatch.setenv("METRICA_FLEET_SECRETS_KEYS", f"{new.decode()},{old.decode()}")
    assert main(["fleet", "rotate-secrets", "--db-url", db_url]) == 0
    assert "1 camera(s)" in capsys.readouterr().out
    token = _stored(db_url)
    assert SecretBox([new]).decrypt(token) == SOURCE
    with pytest.raises(SecretsError):
        SecretBox([old]).decrypt(token)
