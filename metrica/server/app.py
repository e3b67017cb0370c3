"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from metrica.server.auth.views import router as auth_router
from metrica.server.cameras.admin import router as cameras_admin_router
from metrica.server.cameras.views import router as cameras_router
from metrica.server.events.views import router as events_router
from metrica.server.kpis.views import router as kpis_router
from metrica.server.migrate import upgrade
from metrica.server.ops import logging as ops_logging
from metrica.server.ops.metrics import EVENTS_REJECTED
from metrica.server.ops.middleware import RequestContextMiddleware
from metrica.server.ops.views import router as ops_router
from metrica.server.settings import Settings, get_settings
from metrica.server.state import AppState
from metrica.server.stores.admin import router as stores_admin_router
from metrica.server.stores.views import router as stores_router
from metrica.server.web import SinglePageApp

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    migrate_on_start: bool = False,
    web_dist: Path = WEB_DIST,
) -> FastAPI:
    """Build the app; the database engine lives as long as the app's lifespan."""
    settings = settings or get_settings()
    ops_logging.configure(
        json_lines=settings.environment == "production",
        level=logging.getLevelNamesMapping()[settings.log_level],
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start:
            await upgrade(app.state.metrica.engine)
        yield
        await app.state.metrica.close()

    app = FastAPI(
        title="Metrica",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.metrica = AppState.build(settings)
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:
        # Outermost, so that error answers carry the CORS headers too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "Authorization"],
            max_age=600,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path == "/events":
            EVENTS_REJECTED.labels(reason="invalid").inc()
        return await request_validation_exception_handler(request, exc)

    for router in (
        ops_router,
        auth_router,
        stores_router,
        kpis_router,
        events_router,
        cameras_router,
        stores_admin_router,
        cameras_admin_router,
    ):
        app.include_router(router)
    if (web_dist / "index.html").is_file():
        app.mount("/app", SinglePageApp(directory=web_dist, html=True), name="web")

        @app.get("/", include_in_schema=False)
        async def _root() -> RedirectResponse:
            return RedirectResponse("/app/")

    return app
