"""The self-hosted identity provider: passwords (argon2), email codes, invitations."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

import anyio
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth import identity
from metrica.server.auth.models import Invitation, LoginCode, User
from metrica.server.auth.password_policy import check_password, inputs_for
from metrica.server.auth.passwords import Passwords
from metrica.server.db import dialect_insert, dialect_of, utcnow

CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
INVITATION_TTL = timedelta(days=7)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def by_email(*, session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def release_connection(session: AsyncSession) -> None:
    """End the session's (read) transaction before slow work such as hashing: it would
    hold a pooled connection, and on SQLite the database's write lock (`BEGIN IMMEDIATE`),
    for the whole hash. Loaded rows stay usable (`expire_on_commit=False`)."""
    await session.commit()


async def create_user(
    *,
    session: AsyncSession,
    email: str,
    role: str = "owner",
    password: str | None = None,
    hasher: Passwords,
) -> User:
    """A new user; a password given here is the operator's (demo seed, tests) and skips
    the policy that `accept_invitation` and `change_password` apply to people's choices."""
    user = User(
        email=normalise_email(email),
        role=role,
        password_hash=await hasher.hash(password) if password else None,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(
    *, session: AsyncSession, email: str, password: str, hasher: Passwords
) -> User | None:
    """The user if the password matches (same work whether or not the user exists)."""
    user = await by_email(session=session, email=email)
    await release_connection(session)
    if await hasher.verify(user.password_hash if user else None, password):
        return user
    return None


async def check_new_password(password: str, *, email: str) -> None:
    """Raise `WeakPassword` unless the policy accepts `password` (scored off the loop)."""
    check = functools.partial(check_password, password, user_inputs=inputs_for(email))
    await anyio.to_thread.run_sync(check)


async def change_password(
    *, session: AsyncSession, user: User, current: str, new: str, hasher: Passwords
) -> bool:
    """Set a new password if `current` is right (False if not); every earlier session of
    the user ends. Raises `WeakPassword` for a new password the policy refuses."""
    await release_connection(session)
    if not await hasher.verify(user.password_hash, current):
        return False
    await check_new_password(new, email=user.email)
    user.password_hash = await hasher.hash(new)
    session.add(user)
    await identity.end_all_sessions(session=session, user=user)
    return True


def _code_hash(secret: str, user_id: uuid.UUID, code: str) -> str:
    return hmac.new(secret.encode(), f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def start_code_login(*, session: AsyncSession, user: User, secret: str) -> str:
    """Create (or replace) the user's one-time code; returns it for emailing. A new code
    starts with no attempts; the account's budget of attempts across codes is the rate
    limiter's (`rate_limits.Action.CODE_VERIFY`)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    fresh = {"code_hash": _code_hash(secret, user.id, code), "expires_at": utcnow() + CODE_TTL}
    insert = dialect_insert(dialect_of(session))
    await session.execute(  # one statement: concurrent requests replace, never collide
        insert(LoginCode)
        .values(user_id=user.id, attempts=0, **fresh)
        .on_conflict_do_update(index_elements=[LoginCode.user_id], set_={**fresh, "attempts": 0})
    )
    return code


async def finish_code_login(
    *, session: AsyncSession, email: str, code: str, secret: str
) -> User | None:
    """The user if the code is right, fresh and within its attempts; a code works once.

    Every try, right or wrong, takes one attempt in one UPDATE that also checks the
    count, so concurrent guesses get at most `CODE_MAX_ATTEMPTS` tries between them (row
    lock on PostgreSQL, one writer at a time on SQLite). The same statement runs whether
    or not the email is known.
    """
    now = utcnow()
    owner = select(User.id).where(User.email == normalise_email(email)).scalar_subquery()
    tried = await session.execute(
        update(LoginCode)
        .where(
            LoginCode.user_id == owner,
            LoginCode.attempts < CODE_MAX_ATTEMPTS,
            LoginCode.expires_at > now,
        )
        .values(attempts=LoginCode.attempts + 1)
        .returning(LoginCode.user_id, LoginCode.code_hash)
        .execution_options(synchronize_session=False)
    )
    row = tried.one_or_none()
    if row is None:
        return None
    user_id, code_hash = row
    if not hmac.compare_digest(code_hash, _code_hash(secret, user_id, code)):
        return None
    # Used once: of two concurrent right answers, only the one that deletes the code wins.
    used = await session.execute(
        delete(LoginCode)
        .where(LoginCode.user_id == user_id, LoginCode.code_hash == code_hash)
        .returning(LoginCode.user_id)
    )
    if used.one_or_none() is None:
        return None
    return await session.get(User, user_id)


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
    *, session: AsyncSession, token: str, password: str, hasher: Passwords
) -> User | None:
    """Set the invited user's password (None for an unknown, used or expired link). The
    link is checked first, so a dead link says so whatever the password; a password the
    policy refuses raises `WeakPassword` and leaves the link usable. Of two concurrent
    uses of one link, one wins."""
    invitation = await session.get(Invitation, _token_hash(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    user = await session.get(User, invitation.user_id)
    if user is None:
        return None
    await release_connection(session)
    await check_new_password(password, email=user.email)
    password_hash = await hasher.hash(password)
    now = utcnow()
    used = await session.execute(
        update(Invitation)
        .where(
            Invitation.token_hash == invitation.token_hash,
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .returning(Invitation.user_id)
        .execution_options(synchronize_session=False)
    )
    if used.one_or_none() is None:
        return None
    user.password_hash = password_hash
    await identity.end_all_sessions(session=session, user=user)
    return user
