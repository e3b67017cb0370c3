"""Public ops endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from metrica.server.deps import State
from metrica.server.migrate import current_revision, head_revision

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


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
