"""Pure-ASGI security headers on every answer (docs/security.md says why each is there).

- `Content-Security-Policy`: the web app under /app may load only its own files (styles
  may be inline: React components set them); everything else (JSON, snapshots, errors)
  may load nothing at all. A route that sets its own policy keeps it (/docs does).
  Framing is refused everywhere (`frame-ancestors 'none'`, and `X-Frame-Options: DENY`
  for old browsers).
- `X-Content-Type-Options: nosniff`: a snapshot with HTML appended stays an image.
- `Referrer-Policy: no-referrer`: invitation links carry a token in the URL.
- `Strict-Transport-Security` when `hsts_max_age_s` > 0 and the request came over HTTPS
  (directly, or through a proxy whose X-Forwarded-Proto the server trusts).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    # The labelling page plays an audit clip it fetched whole, from an object URL.
    "media-src 'self' blob:; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
APP_PREFIX = "/app"

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}".encode() if hsts_max_age_s > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        in_app = path == APP_PREFIX or path.startswith(APP_PREFIX + "/")
        csp = (APP_CSP if in_app else API_CSP).encode()
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in _COMMON if n not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp))
                if self.hsts is not None and https:
                    extra.append((b"strict-transport-security", self.hsts))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
