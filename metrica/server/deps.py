"""The dependency vocabulary: what a handler needs, said in its parameters."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth import identity
from metrica.server.auth.models import User
from metrica.server.auth.tokens import TokenError
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.plates import access as plate_access
from metrica.server.plates.models import PlateJob, PlateReadRow, PlateWatch
from metrica.server.settings import Settings
from metrica.server.state import AppState, WorkerCamera, app_state
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store

SESSION_COOKIE = "metrica_session"

State = Annotated[AppState, Depends(app_state)]


async def get_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token:
            return token.strip()
    return None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _trusted_origin(request: Request, settings: Settings) -> bool:
    """Whether a cookie-authenticated write may come from the request's Origin.

    Only matters with `cookie_samesite=none`, where the browser sends the cookie on
    requests that any site starts: a write is accepted from our own origins and the
    configured CORS origins, or without an Origin header (not a browser).
    """
    if settings.cookie_samesite != "none" or request.method in SAFE_METHODS:
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {_origin_of(settings.public_url), _origin_of(settings.web_app_url)}
    return origin.lower() in own or origin.lower() in settings.cors_origins


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def session_token(request: Request, settings: Settings) -> str | None:
    """The caller's token: the Authorization header, else the session cookie (403 for a
    cookie sent by a write from a foreign site, see `_trusted_origin`)."""
    token = _bearer(request)
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        if token is not None and not _trusted_origin(request, settings):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")
    return token


def _unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def get_current_user(request: Request, state: State, session: SessionDep) -> User:
    """The user the caller's token names (see `auth.identity`), else 401."""
    token = session_token(request, state.settings)
    if token is None:
        raise _unauthorized()
    try:
        claims = await state.verifier.verify(token)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from None
    user = await identity.user_for_token(
        session=session,
        token=token,
        claims=claims,
        external_idp=state.settings.external_idp,
        link_verified_email=state.settings.idp_link_verified_email,
    )
    if user is None:
        raise _unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_superadmin(user: CurrentUser) -> User:
    if user.role != "superadmin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "superadmin only")
    return user


SuperAdmin = Annotated[User, Depends(get_superadmin)]


def admin_router() -> APIRouter:
    """A feature's `/admin` routes: the superadmin check runs before anything else."""
    return APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(get_superadmin)])


async def get_visible_store(store_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Store:
    """The store if the caller may see it (a superadmin sees every one), else 404."""
    store = await stores.get_visible(session=session, user=user, store_id=store_id)
    if store is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "store not found")
    return store


VisibleStore = Annotated[Store, Depends(get_visible_store)]


async def get_visible_camera(
    camera_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Camera:
    """The camera if the caller may see its store (see `get_visible_store`), else 404."""
    camera = await session.get(Camera, camera_id)
    if camera is None or (
        await stores.get_visible(session=session, user=user, store_id=camera.store_id) is None
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "camera not found")
    return camera


VisibleCamera = Annotated[Camera, Depends(get_visible_camera)]


async def get_worker_camera(
    state: State,
    session: SessionDep,
    x_worker_key: Annotated[str | None, Header()] = None,
) -> WorkerCamera:
    if not x_worker_key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "X-Worker-Key header required")
    key_hash = hashlib.sha256(x_worker_key.encode()).hexdigest()
    found, camera = state.worker_keys.get(key_hash)
    if not found:
        camera = await cameras.worker_camera_for_key(session=session, key_hash=key_hash)
        state.worker_keys.put(key_hash, camera)
    if camera is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked worker key")
    return camera


CurrentWorkerCamera = Annotated[WorkerCamera, Depends(get_worker_camera)]


def own_camera(camera: WorkerCamera, camera_id: uuid.UUID) -> None:
    """A worker key writes and reads only its own camera."""
    if camera.camera_id != camera_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key belongs to another camera")


async def get_plate_store(store_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Store:
    """The store (`?store_id=`) if the caller may use its plates (see `plates.access`),
    else 404."""
    store = await plate_access.plate_store(session=session, user=user, store_id=store_id)
    if store is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "store not found")
    return store


PlateStore = Annotated[Store, Depends(get_plate_store)]


async def _plate_scope(session: AsyncSession, user: User, store_id: uuid.UUID) -> bool:
    return await plate_access.plate_store(session=session, user=user, store_id=store_id) is not None


async def get_plate_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PlateJob:
    job = await session.get(PlateJob, job_id)
    if job is None or not await _plate_scope(session, user, job.store_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "job not found")
    return job


VisiblePlateJob = Annotated[PlateJob, Depends(get_plate_job)]


async def get_plate_read(
    read_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> PlateReadRow:
    read = await session.get(PlateReadRow, read_id)
    if read is None or not await _plate_scope(session, user, read.store_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "plate read not found")
    return read


VisiblePlateRead = Annotated[PlateReadRow, Depends(get_plate_read)]


async def get_plate_watch(
    watch_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> PlateWatch:
    watch = await session.get(PlateWatch, watch_id)
    if watch is None or not await _plate_scope(session, user, watch.store_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "watchlist entry not found")
    return watch


VisiblePlateWatch = Annotated[PlateWatch, Depends(get_plate_watch)]

PLATE_RESOURCES = (get_plate_store, get_plate_job, get_plate_read, get_plate_watch)
"""Dependencies that answer 404 for what the caller may not see (see `openapi`)."""
