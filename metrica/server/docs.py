"""Interactive API docs at /docs, served entirely from this package (no CDN).

FastAPI's default /docs page loads Swagger UI from a public CDN at a floating version, so it
breaks on a store server without internet access and trusts whatever the CDN serves. Here
Swagger UI's files come from the `swagger-ui-bundle-v2` package (a pinned version, in the
lock file) and the page's one inline script is allowed by its hash in the page's own
Content-Security-Policy. (ReDoc at /redoc is off: it has no packaged build.)
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _csp(html: str) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def install(app: FastAPI, *, openapi_url: str) -> None:
    """Add /docs and its assets to `app` (created with `docs_url=None`)."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=None,
    )
    html = bytes(page.body).decode()
    csp = _csp(html)

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, "not found")
        return FileResponse(
            str(swagger_ui_path / name),
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
