"""Ops endpoints: liveness and readiness (public), deep health (ops token or superadmin),
Prometheus metrics."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from metrica.server.cameras.health import count_by_health
from metrica.server.deps import State, require_ops
from metrica.server.migrate import current_revision, head_revision
from metrica.server.ops.health import deep_checks, run_checks
from metrica.server.ops.schemas import CheckPublic, DeepHealthPublic

log = logging.getLogger("metrica.server")
router = APIRouter(tags=["ops"])


@router.get("/health", operation_id="health")
async def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready", operation_id="health_ready")
async def ready(state: State) -> JSONResponse:
    """Ready when the database answers and its schema is at the latest migration."""
    checks: dict[str, str] = {}
    ok = True
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current, head = await current_revision(state.engine), head_revision()
        if current == head:
            checks["migrations"] = "ok"
        else:
            ok = False
            checks["migrations"] = f"at {current or 'none'}, head is {head}"
    except Exception as exc:
        ok = False
        checks["database"] = f"unreachable: {type(exc).__name__}"
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get(
    "/health/deep",
    operation_id="health_deep",
    dependencies=[Depends(require_ops)],
    response_model=DeepHealthPublic,
    responses={503: {"model": DeepHealthPublic, "description": "A check failed"}},
)
async def deep(state: State) -> JSONResponse:
    """Checks that find real faults, run at once, each timed and limited on its own:
    database write and read back, migrations at head, disk space and writability of the
    data directory, camera freshness (live / stale / offline counts), Redis when
    configured, blob storage when the server has it. 503 names the failing checks.
    Callers: a superadmin, or monitoring with `Authorization: Bearer <METRICA_OPS_TOKEN>`."""
    results = await run_checks(deep_checks(state), timeout_s=state.settings.health_check_timeout_s)
    ok = all(r.ok for r in results.values())
    body = DeepHealthPublic(
        status="ok" if ok else "fail",
        checks={
            name: CheckPublic(ok=r.ok, ms=r.ms, detail=r.detail) for name, r in results.items()
        },
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
async def metrics(state: State) -> Response:
    """The process's counters, then this app's scrape-time gauges (see `ServerGauges`)."""
    gauges, now = state.gauges, time.monotonic()
    if gauges.cameras_due(now=now, every_s=state.settings.metrics_refresh_s):
        try:
            async with state.sessions() as session:
                counts = await count_by_health(
                    session=session,
                    now=state.clock(),
                    live_after_s=state.settings.live_after_s,
                    stale_after_s=state.settings.stale_after_s,
                )
            gauges.set_cameras(counts, now=now)
        except Exception as exc:  # a scrape still answers while the database is down
            log.warning("metrics: cameras not counted (%s)", type(exc).__name__)
    gauges.blob_root = blob_root(getattr(state, "blobs", None))
    body = generate_latest() + generate_latest(gauges.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def blob_root(blobs: object) -> Path | None:
    """The local folder of a blob store that keeps its blobs on disk (`root`), else None."""
    root = getattr(blobs, "root", None)
    return root if isinstance(root, Path) else None
