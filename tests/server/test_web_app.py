"""The backend serves the built web app under /app, deep links included."""

from __future__ import annotations

from pathlib import Path

import httpx

from metrica.server.app import create_app
from tests.server.conftest import make_settings


async def test_deep_links_open_the_app_and_missing_assets_stay_404(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root>metrica</div>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"), web_dist=dist)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        root = await c.get("/")
        deep = await c.get("/app/stores/6f1c3a52-0000-4000-8000-000000000000")
        asset = await c.get("/app/assets/app.js")
        missing_asset = await c.get("/app/assets/gone.js")
        api = await c.get("/health")
    await app.state.metrica.engine.dispose()
    assert root.status_code in (302, 307)
    assert root.headers["location"] == "/app/"
    assert deep.status_code == 200
    assert "metrica" in deep.text
    assert asset.text == "console.log('app')"
    assert missing_asset.status_code == 404
    assert api.json() == {"status": "ok"}
