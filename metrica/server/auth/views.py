"""People auth: login, email code, invitations, password change, logout, me, and the JWKS.

Sign-in, code requests and code checks are rate-limited per account and per client
address (429 with Retry-After). With an external identity provider the local sign-in
routes answer 404: people sign in there and bring its token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from metrica.server.auth import identity, service
from metrica.server.auth.models import User
from metrica.server.auth.password_policy import WeakPassword
from metrica.server.auth.rate_limits import Action, RateLimited
from metrica.server.auth.schemas import (
    CodeRequest,
    CodeVerify,
    InvitationAccept,
    Login,
    PasswordChange,
    Session,
    UserPublic,
)
from metrica.server.auth.tokens import TokenError
from metrica.server.deps import (
    SESSION_COOKIE,
    CurrentUser,
    SessionDep,
    State,
    session_token,
)
from metrica.server.state import AppState

router = APIRouter(tags=["auth"])

SIGN_IN_AT_IDP = (
    "sign-in happens at the identity provider: this server accepts its tokens, "
    "not passwords or email codes"
)


async def local_sign_in(state: State) -> None:
    """404 when an external identity provider signs people in (its tokens are the only
    ones this server then accepts, so tokens it signed itself would be refused)."""
    if state.settings.external_idp:
        raise HTTPException(status.HTTP_404_NOT_FOUND, SIGN_IN_AT_IDP)


LOCAL_SIGN_IN = [Depends(local_sign_in)]


async def throttle(state: AppState, request: Request, action: Action, email: str) -> None:
    """Count an attempt against the account's and the client address's budgets."""
    address = request.client.host if request.client else None
    try:
        await state.rate_limits.hit(action, email=email, address=address)
    except RateLimited as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many attempts; try again later",
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from None


def weak_password(exc: WeakPassword, field: str) -> HTTPException:
    """A 422 shaped like FastAPI's, naming the field; the password is never echoed."""
    detail = [{"type": "weak_password", "loc": ["body", field], "msg": str(exc)}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _start_session(state: AppState, user: User, response: Response) -> Session:
    token = state.signer.issue(
        subject=str(user.id), email=user.email, role=user.role, version=user.token_version
    )
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


@router.post(
    "/auth/login", operation_id="login", response_model=Session, dependencies=LOCAL_SIGN_IN
)
async def login(
    body: Login, request: Request, response: Response, session: SessionDep, state: State
) -> Session:
    """Email + password sign-in."""
    await throttle(state, request, Action.SIGN_IN, body.email)
    user = await service.authenticate(
        session=session, email=body.email, password=body.password, hasher=state.passwords
    )
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return _start_session(state, user, response)


@router.post(
    "/auth/code/request",
    operation_id="request_login_code",
    status_code=202,
    dependencies=LOCAL_SIGN_IN,
)
async def request_code(body: CodeRequest, request: Request, state: State) -> dict[str, str]:
    """Email a 6-digit one-time code. The answer comes before any lookup, the same for a
    known and an unknown email: looking the account up and mailing happen afterwards."""
    await throttle(state, request, Action.CODE_REQUEST, body.email)
    state.jobs.start(_email_code(state, body.email), name="email-login-code")
    return {"status": "sent"}


async def _email_code(state: AppState, email: str) -> None:
    async with state.sessions() as session:
        user = await service.by_email(session=session, email=email)
        if user is None:
            return
        secret = state.settings.secret_key.get_secret_value()
        code = await service.start_code_login(session=session, user=user, secret=secret)
        await session.commit()
    await state.mailer.send(
        to=user.email,
        subject="Your Metrica sign-in code",
        body=f"Your sign-in code is {code}. It expires in 10 minutes.",
    )


@router.post(
    "/auth/code/verify",
    operation_id="verify_login_code",
    response_model=Session,
    dependencies=LOCAL_SIGN_IN,
)
async def verify_code(
    body: CodeVerify, request: Request, response: Response, session: SessionDep, state: State
) -> Session:
    """Exchange a one-time code for a session."""
    await throttle(state, request, Action.CODE_VERIFY, body.email)
    secret = state.settings.secret_key.get_secret_value()
    user = await service.finish_code_login(
        session=session, email=body.email, code=body.code, secret=secret
    )
    await session.commit()
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong or expired code")
    return _start_session(state, user, response)


@router.post(
    "/auth/invitations/accept",
    operation_id="accept_invitation",
    response_model=Session,
    dependencies=LOCAL_SIGN_IN,
)
async def accept_invitation(
    body: InvitationAccept, response: Response, session: SessionDep, state: State
) -> Session:
    """Set a password from an invitation link and sign in (422 names a weak password)."""
    try:
        user = await service.accept_invitation(
            session=session, token=body.token, password=body.password, hasher=state.passwords
        )
    except WeakPassword as exc:
        raise weak_password(exc, "password") from None
    if user is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid or expired invitation")
    await session.commit()
    return _start_session(state, user, response)


@router.post(
    "/auth/password",
    operation_id="change_password",
    response_model=Session,
    dependencies=LOCAL_SIGN_IN,
)
async def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    state: State,
) -> Session:
    """Change the caller's password: every session of the user ends (this token too), and
    the caller gets a fresh one (401 elsewhere from now on)."""
    await throttle(state, request, Action.SIGN_IN, user.email)
    try:
        changed = await service.change_password(
            session=session,
            user=user,
            current=body.current_password,
            new=body.new_password,
            hasher=state.passwords,
        )
    except WeakPassword as exc:
        raise weak_password(exc, "new_password") from None
    if not changed:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the current password is wrong")
    await session.commit()
    return _start_session(state, user, response)


@router.post("/auth/logout", operation_id="logout", status_code=204)
async def logout(request: Request, session: SessionDep, state: State) -> Response:
    """End this session: its token is refused from now on, and the cookie is cleared
    (same attributes as when set, or browsers keep it)."""
    token = session_token(request, state.settings)
    if token is not None:
        try:
            claims = await state.verifier.verify(token)
        except TokenError:
            pass  # nothing to revoke: it authenticates no one already
        else:
            await identity.revoke(session=session, token=token, claims=claims)
            await session.commit()
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
