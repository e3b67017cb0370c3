"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from metrica.domain.audits import ClipCounter
from metrica.domain.plates import UploadProcessor
from metrica.server import docs, errors, openapi
from metrica.server.alerts.schedule import schedule_alerts
from metrica.server.alerts.views import router as alerts_router
from metrica.server.audits.admin import router as audits_admin_router
from metrica.server.audits.lifecycle import schedule_recording_purge
from metrica.server.audits.views import router as audits_router
from metrica.server.auth.views import router as auth_router
from metrica.server.backups.gauge import schedule_backup_gauge
from metrica.server.cameras import snapshots
from metrica.server.cameras.admin import router as cameras_admin_router
from metrica.server.cameras.views import router as cameras_router
from metrica.server.db import pin_clock
from metrica.server.events import partitions
from metrica.server.events.views import router as events_router
from metrica.server.fleet.admin import router as fleet_admin_router
from metrica.server.fleet.views import router as fleet_router
from metrica.server.gc_tuning import tune_for_serving
from metrica.server.kpis.views import router as kpis_router
from metrica.server.migrate import upgrade
from metrica.server.mqtt.consumer import consumer_for, consumer_running
from metrica.server.ops import logging as ops_logging
from metrica.server.ops.body_limit import BodyLimitMiddleware
from metrica.server.ops.headers import SecurityHeadersMiddleware
from metrica.server.ops.middleware import RequestContextMiddleware
from metrica.server.ops.views import router as ops_router
from metrica.server.periodic import PeriodicTasks
from metrica.server.plates.admin import router as plates_admin_router
from metrica.server.plates.lifecycle import plates_running
from metrica.server.plates.views import router as plates_router
from metrica.server.reports.schedule import schedule_reports
from metrica.server.reports.views import router as reports_router
from metrica.server.retention.schedule import schedule_retention
from metrica.server.settings import Settings, get_settings
from metrica.server.state import AppState
from metrica.server.stores.admin import router as stores_admin_router
from metrica.server.stores.views import router as stores_router
from metrica.server.web import SinglePageApp

log = logging.getLogger("metrica.server")
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


def _operation_id(route: APIRoute) -> str:
    return route.name


async def _move_snapshots(state: AppState) -> None:
    """Snapshots written to the database before they moved to the blob store go there now;
    until it succeeds they are served from the database."""
    try:
        await snapshots.move_to_blobs(state.sessions, state.blobs)
    except Exception as exc:  # a blob store that is down must not stop the server
        log.warning("snapshots: not moved to the blob store yet (%s)", type(exc).__name__)


def create_app(
    settings: Settings | None = None,
    *,
    migrate_on_start: bool = False,
    web_dist: Path = WEB_DIST,
    maintenance: bool = True,
    plate_processor: UploadProcessor | None = None,
    clip_counter: ClipCounter | None = None,
) -> FastAPI:
    """Build the app; the database engine lives as long as the app's lifespan.

    `maintenance` runs the periodic work (retention, the backup gauge, alerts, weekly
    reports) in the lifespan.
    `plate_processor` reads plates in uploads when jobs run inside the server (no Redis
    queue); the command that starts the server passes it when the plates extra is there.
    `clip_counter` counts accuracy-audit clips with a camera's lines (likewise passed in)."""
    settings = settings or get_settings()
    pin_clock(settings.clock_start, at_epoch_s=settings.clock_started_at)
    ops_logging.configure(
        json_lines=settings.environment == "production",
        level=logging.getLevelNamesMapping()[settings.log_level],
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = app.state.metrica.engine
        if migrate_on_start:
            await upgrade(engine)
        if maintenance:
            await _move_snapshots(app.state.metrica)
        keeper = None
        if engine.dialect.name == "postgresql":
            state = app.state.metrica
            keeper = asyncio.create_task(
                partitions.keep_ahead(engine, clock=lambda: state.clock()), name="event-partitions"
            )
        tune_for_serving()
        periodic = app.state.periodic = PeriodicTasks()
        if maintenance:
            schedule_retention(periodic, app.state.metrica)
            schedule_backup_gauge(periodic, app.state.metrica)
            schedule_alerts(periodic, app.state.metrica)
            schedule_reports(periodic, app.state.metrica)
            schedule_recording_purge(periodic, app.state.metrica)
        state = app.state.metrica
        mqtt = (
            None
            if state.settings.mqtt_url is None
            else consumer_for(state.settings, state.sessions)
        )
        app.state.mqtt_consumer = mqtt
        async with plates_running(state), consumer_running(mqtt):
            yield
        if keeper is not None:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
        # The server has stopped accepting and let requests in flight finish: now flush
        # background jobs and close the database pool.
        await periodic.stop()
        await app.state.metrica.close()
        log.info("stopped: background jobs drained, database pool closed")

    app = FastAPI(
        title="Metrica",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # served from the package by metrica.server.docs, not from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.metrica = AppState.build(settings)
    app.state.metrica.plate_processor = plate_processor
    app.state.metrica.clip_counter = clip_counter
    # Added innermost first: request id and access log see every answer, the 413s included.
    app.add_middleware(
        BodyLimitMiddleware, rules=settings.body_limits, default=settings.max_body_bytes
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts_max_age_s=settings.hsts_max_age_s)
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

    errors.install(app)
    for router in (
        ops_router,
        auth_router,
        stores_router,
        kpis_router,
        alerts_router,
        reports_router,
        events_router,
        cameras_router,
        fleet_router,
        stores_admin_router,
        cameras_admin_router,
        fleet_admin_router,
        plates_router,
        plates_admin_router,
        audits_router,
        audits_admin_router,
    ):
        app.include_router(router)
    docs.install(app, openapi_url=app.openapi_url or "/openapi.json")
    openapi.install(app)
    if (web_dist / "index.html").is_file():
        app.mount("/app", SinglePageApp(directory=web_dist, html=True), name="web")

        @app.get("/", include_in_schema=False)
        async def _root() -> RedirectResponse:
            return RedirectResponse("/app/")

    return app
