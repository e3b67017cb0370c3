"""Ops endpoints: liveness and readiness (public), deep health (ops token or superadmin),
Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from metrica.server.deps import State, require_ops
from metrica.server.migrate import current_revision, head_revision
from metrica.server.ops.health import deep_checks, run_checks
from metrica.server.ops.schemas import CheckPublic, DeepHealthPublic

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
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
