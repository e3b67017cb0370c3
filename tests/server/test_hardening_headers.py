"""Security headers on every answer, HSTS over TLS, a safe X-Request-Id, and API docs that
work without internet access (issue #10)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

import httpx
from PIL import Image

from metrica.server.app import create_app
from metrica.server.ops.headers import API_CSP, APP_CSP
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.hostile import make_world

BASELINE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_hardened(r: httpx.Response, csp: str = API_CSP) -> None:
    for name, value in BASELINE.items():
        assert r.headers.get(name) == value, (r.request.url, name, r.headers.get(name))
    assert r.headers.get("content-security-policy") == csp, r.request.url
    assert "frame-ancestors 'none'" in csp


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 10, 10)).save(out, format="JPEG")
    return out.getvalue()


async def test_every_kind_of_answer_carries_the_headers(
    client: httpx.AsyncClient, state: AppState
) -> None:
    w = await make_world(state)
    answers = [
        await client.get("/health"),
        await client.get("/openapi.json"),
        await client.get("/stores", headers=w.owner_headers),
        await client.get("/stores"),  # 401
        await client.get("/admin/stores", headers=w.owner_headers),  # 403
        await client.get(f"/live/{w.camera.id}", headers=w.owner_headers),  # 404
        await client.get("/nowhere"),  # 404, no route
        await client.post("/auth/login", json={}),  # 422
        await client.post("/auth/login", content=b"x" * 100_000),  # 413
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 401, 403, 404, 404, 422, 413]
    for r in answers:
        _assert_hardened(r)
    assert "strict-transport-security" not in answers[0].headers


async def test_a_jpeg_with_a_script_appended_is_served_as_an_inert_image(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """A JPEG with `<script>` appended was stored and served back without nosniff."""
    w = await make_world(state)
    polyglot = _jpeg() + b"<html><script>alert(document.cookie)</script></html>"
    r = await client.put(
        f"/cameras/{w.camera.id}/snapshot",
        content=polyglot,
        headers=w.worker_headers | {"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 204, r.text
    r = await client.get(f"/admin/cameras/{w.camera.id}/snapshot", headers=w.admin_headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    _assert_hardened(r)  # nosniff: never HTML; and a CSP that runs nothing even if it were


async def test_the_web_app_gets_a_policy_that_lets_it_run(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"), web_dist=dist)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        answers = [
            await c.get("/app/"),
            await c.get("/app/stores/x"),
            await c.get("/app/assets/app.js"),
        ]
        redirect = await c.get("/")
    await app.state.metrica.engine.dispose()
    for r in answers:
        assert r.status_code == 200
        _assert_hardened(r, APP_CSP)
    _assert_hardened(redirect)
    assert "script-src 'self';" in APP_CSP  # no inline or eval'd scripts
    assert "connect-src 'self'" in APP_CSP


async def test_hsts_only_when_set_and_over_https(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    results = {}
    for max_age in (0, 31_536_000):
        app = create_app(make_settings(url, hsts_max_age_s=max_age))
        for scheme in ("http", "https"):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://t") as c:
                r = await c.get("/health")
            results[max_age, scheme] = r.headers.get("strict-transport-security")
        await app.state.metrica.engine.dispose()
    assert results == {
        (0, "http"): None,
        (0, "https"): None,
        (31_536_000, "http"): None,
        (31_536_000, "https"): "max-age=31536000",
    }


async def test_x_request_id_is_echoed_only_when_safe(client: httpx.AsyncClient) -> None:
    """`<script>…` came back verbatim in X-Request-Id."""
    for safe in ("abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "req.42_x", "a" * 64):
        r = await client.get("/health", headers={"X-Request-Id": safe})
        assert r.headers["x-request-id"] == safe
    unsafe_ids: list[str | bytes] = ["<script>alert(1)</script>", "a" * 65, "with space"]
    unsafe_ids += ["a;b", "a/b", "", "ünï".encode("latin-1"), b"\xff\x00"]
    for unsafe in unsafe_ids:
        r = await client.get("/health", headers={"X-Request-Id": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), unsafe


async def test_docs_are_served_from_the_package_under_their_own_policy(
    client: httpx.AsyncClient,
) -> None:
    """/docs loaded Swagger UI from a public CDN: blank on an air-gapped store server."""
    r = await client.get("/docs")
    assert r.status_code == 200
    html = r.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    assert all(u.startswith("/docs/assets/") for u in urls), urls
    assert "http" not in html.replace("http-equiv", "")
    csp = r.headers["content-security-policy"]
    (inline,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert "frame-ancestors 'none'" in csp
    for name, kind in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ):
        asset = await client.get(f"/docs/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith(kind)
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert len(asset.content) > 500
    assert b"SwaggerUIBundle" in (await client.get("/docs/assets/swagger-ui-bundle.js")).content
    for missing in ("index.html", "swagger-initializer.js", "..%2Fsettings.py", "x"):
        assert (await client.get(f"/docs/assets/{missing}")).status_code == 404
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404
