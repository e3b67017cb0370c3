"""An app started with policy files, over the same database as the test's `app` (rows made
through that one stay; the policy is read at start, as in production)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from metrica.server.app import create_app
from metrica.server.settings import Settings
from metrica.server.state import AppState


def write_policies(
    folder: Path, global_yaml: str | None, per_store: dict[uuid.UUID, str] | None = None
) -> dict[str, Path | None]:
    """The files, and the settings that name them."""
    folder.mkdir(parents=True, exist_ok=True)
    policy_file = None
    if global_yaml is not None:
        policy_file = folder / "policy.yaml"
        policy_file.write_text(global_yaml)
    policy_dir = None
    if per_store:
        policy_dir = folder / "stores"
        policy_dir.mkdir(exist_ok=True)
        for store_id, text in per_store.items():
            (policy_dir / f"{store_id}.yaml").write_text(text)
    return {"policy_file": policy_file, "policy_dir": policy_dir}


@asynccontextmanager
async def app_with_policy(
    settings: Settings,
    folder: Path,
    global_yaml: str | None,
    per_store: dict[uuid.UUID, str] | None = None,
) -> AsyncIterator[tuple[AppState, httpx.AsyncClient]]:
    named = write_policies(folder, global_yaml, per_store)
    app = create_app(settings.model_copy(update=named))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app.state.metrica, client
    finally:
        await app.state.metrica.close()
        await app.state.metrica.engine.dispose()
