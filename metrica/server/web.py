"""Serving the built web app under /app, with the single-page-app fallback.

Client-side routes such as `/app/stores/<id>` are not files: any path under /app that
is not a file and has no file extension answers with `index.html`, so a reload or a
shared link opens the right page. Missing assets (`.js`, `.css` …) stay 404.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class SinglePageApp(StaticFiles):
    """Static files, falling back to index.html for client-side routes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or PurePosixPath(path).suffix:
                raise
            return await super().get_response("index.html", scope)
