"""The self-hosted identity provider: passwords (argon2), email codes, invitations."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth.models import Invitation, LoginCode, User
from metrica.server.db import utcnow

CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
INVITATION_TTL = timedelta(days=7)
_DUMMY_HASH = PasswordHasher().hash("timing-equaliser")


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def create_user(
    *,
    session: AsyncSession,
    email: str,
    role: str = "owner",
    password: str | None = None,
    hasher: PasswordHasher,
) -> User:
    user = User(
        email=normalise_email(email),
        role=role,
        password_hash=hasher.hash(password) if password else None,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(
    *, session: AsyncSession, email: str, password: str, hasher: PasswordHasher
) -> User | None:
    """The user if the password matches (same work whether or not the user exists)."""
    user = await by_email(session=session, email=email)
    try:
        hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user and user.password_hash else None


def _code_hash(secret: str, user_id: uuid.UUID, code: str) -> str:
    return hmac.new(secret.encode(), f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def start_code_login(*, session: AsyncSession, user: User, secret: str) -> str:
    """Create (or replace) the user's one-time code; returns it for emailing."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    await session.execute(delete(LoginCode).where(LoginCode.user_id == user.id))
    session.add(
        LoginCode(
            user_id=user.id,
            code_hash=_code_hash(secret, user.id, code),
            expires_at=utcnow() + CODE_TTL,
            attempts=0,
        )
    )
    await session.flush()
    return code


async def finish_code_login(
    *, session: AsyncSession, email: str, code: str, secret: str
) -> User | None:
    """The user if the code is right, fresh and within its attempts; a code works once."""
    user = await by_email(session=session, email=email)
    if user is None:
        return None
    pending = await session.get(LoginCode, user.id)
    if pending is None or pending.expires_at < utcnow() or pending.attempts >= CODE_MAX_ATTEMPTS:
        return None
    if not hmac.compare_digest(pending.code_hash, _code_hash(secret, user.id, code)):
        pending.attempts += 1
        return None
    await session.delete(pending)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(*, session: AsyncSession, user: User) -> str:
    """A single-use invitation token for `user` (only its hash is stored); earlier
    unused invitations of the user stop working."""
    token = secrets.token_urlsafe(32)
    await session.execute(
        delete(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    )
    session.add(
        Invitation(
            token_hash=_token_hash(token), user_id=user.id, expires_at=utcnow() + INVITATION_TTL
        )
    )
    await session.flush()
    return token


async def accept_invitation(
    *, session: AsyncSession, token: str, password: str, hasher: PasswordHasher
) -> User | None:
    invitation = await session.get(Invitation, _token_hash(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    user = await session.get(User, invitation.user_id)
    if user is None:
        return None
    invitation.used_at = utcnow()
    user.password_hash = hasher.hash(password)
    await session.flush()
    return user
