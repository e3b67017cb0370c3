"""People auth: login, email code, invitations, logout, me, and the JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from metrica.server.auth import service
from metrica.server.auth.models import User
from metrica.server.auth.schemas import (
    CodeRequest,
    CodeVerify,
    InvitationAccept,
    Login,
    Session,
    UserPublic,
)
from metrica.server.deps import SESSION_COOKIE, CurrentUser, SessionDep, State
from metrica.server.state import AppState

router = APIRouter(tags=["auth"])


def _start_session(state: AppState, user: User, response: Response) -> Session:
    token = state.signer.issue(subject=str(user.id), email=user.email, role=user.role)
    settings = state.settings
    ttl = settings.token_ttl_s
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl,
        httponly=True,
        samesite=settings.cookie_samesite,
        secure=settings.session_cookie_secure,
        path="/",
    )
    return Session(access_token=token, expires_in=ttl, user=UserPublic.model_validate(user))


@router.get("/.well-known/jwks.json", operation_id="get_jwks", tags=["auth"])
async def jwks(state: State) -> dict[str, Any]:
    """The public keys that sign this server's tokens."""
    return state.signer.jwks()


@router.post("/auth/login", operation_id="login", response_model=Session)
async def login(body: Login, response: Response, session: SessionDep, state: State) -> Session:
    """Email + password sign-in."""
    user = await service.authenticate(
        session=session, email=body.email, password=body.password, hasher=state.passwords
    )
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return _start_session(state, user, response)


@router.post("/auth/code/request", operation_id="request_login_code", status_code=202)
async def request_code(body: CodeRequest, session: SessionDep, state: State) -> dict[str, str]:
    """Email a 6-digit one-time code (same answer whether or not the email is known)."""
    user = await service.by_email(session=session, email=body.email)
    if user is not None:
        secret = state.settings.secret_key.get_secret_value()
        code = await service.start_code_login(session=session, user=user, secret=secret)
        await session.commit()
        await state.mailer.send(
            to=user.email,
            subject="Your Metrica sign-in code",
            body=f"Your sign-in code is {code}. It expires in 10 minutes.",
        )
    return {"status": "sent"}


@router.post("/auth/code/verify", operation_id="verify_login_code", response_model=Session)
async def verify_code(
    body: CodeVerify, response: Response, session: SessionDep, state: State
) -> Session:
    """Exchange a one-time code for a session."""
    secret = state.settings.secret_key.get_secret_value()
    user = await service.finish_code_login(
        session=session, email=body.email, code=body.code, secret=secret
    )
    await session.commit()
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong or expired code")
    return _start_session(state, user, response)


@router.post("/auth/invitations/accept", operation_id="accept_invitation", response_model=Session)
async def accept_invitation(
    body: InvitationAccept, response: Response, session: SessionDep, state: State
) -> Session:
    """Set a password from an invitation link and sign in."""
    user = await service.accept_invitation(
        session=session, token=body.token, password=body.password, hasher=state.passwords
    )
    if user is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid or expired invitation")
    await session.commit()
    return _start_session(state, user, response)


@router.post("/auth/logout", operation_id="logout", status_code=204)
async def logout(state: State) -> Response:
    """Clear the session cookie (same attributes as when set, or browsers keep it)."""
    settings = state.settings
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite=settings.cookie_samesite,
        secure=settings.session_cookie_secure,
    )
    return response


@router.get("/auth/me", operation_id="get_me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
