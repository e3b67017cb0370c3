"""Box routes: enrolment (`POST /fleet/enroll`), then config and heartbeat with X-Box-Key.

A box sees only itself: its config lists only the cameras assigned to it, in its store.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response, status

from metrica.domain.fleet import BoxConfig, BoxHeartbeat
from metrica.server.deps import CurrentBox, SessionDep, State
from metrica.server.fleet import service
from metrica.server.fleet.schemas import BoxCredentials, EnrolRequest
from metrica.server.fleet.secrets import SecretBox
from metrica.server.state import AppState, app_state

router = APIRouter(prefix="/fleet", tags=["fleet"])


@lru_cache(maxsize=4)
def _secret_box(configured: str | None, secret_key: str) -> SecretBox:
    return SecretBox.from_settings(configured, secret_key)


async def secret_box(state: Annotated[AppState, Depends(app_state)]) -> SecretBox:
    """The app's camera-secret cipher (built once per key set)."""
    s = state.settings
    configured = s.fleet_secrets_keys.get_secret_value() if s.fleet_secrets_keys else None
    return _secret_box(configured, s.secret_key.get_secret_value())


Secrets = Annotated[SecretBox, Depends(secret_box)]


@router.post("/enroll", operation_id="enroll_box", status_code=201)
async def enroll_box(body: EnrolRequest, session: SessionDep, state: State) -> BoxCredentials:
    """Exchange a one-time enrolment token for the box's own id and key (shown once)."""
    enrolled = await service.enrol(
        session=session,
        token=body.token,
        hostname=body.hostname,
        version=body.version,
        now=state.clock(),
    )
    if enrolled is None:
        await session.rollback()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "enrolment token unknown, already used or expired"
        )
    box, key = enrolled
    await session.commit()
    return BoxCredentials(box_id=box.id, store_id=box.store_id, box_key=key)


@router.get(
    "/box/config",
    operation_id="get_box_config",
    response_model=BoxConfig,
    responses={304: {"description": "Unchanged since the ETag given in If-None-Match"}},
)
async def get_box_config(
    box: CurrentBox,
    session: SessionDep,
    secrets: Secrets,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> BoxConfig | Response:
    """The box's cameras and how to run each; poll with If-None-Match (304 = unchanged)."""
    config = await service.box_config(session=session, box=box, secret_box=secrets)
    etag = f'"{config.version}"'
    headers = {"ETag": etag, "Cache-Control": "no-store"}
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return config


@router.post("/box/heartbeat", operation_id="post_box_heartbeat", status_code=204)
async def post_box_heartbeat(
    beat: BoxHeartbeat, box: CurrentBox, session: SessionDep, state: State
) -> Response:
    """Record the box's health: version, resources, its cameras' states, recent errors."""
    await service.record_heartbeat(session=session, box=box, beat=beat, now=state.clock())
    await session.commit()
    return Response(status_code=204)
