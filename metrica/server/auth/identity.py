"""Who a verified token names, and ending a token before it expires.

A token signed by this server names its user by id (`sub`) at a token version (`ver`):
it dies with the user, when the user's version is raised (password change), or when it
is signed out (revoked). It never falls back to its `email` claim, so a token of a
deleted user does not pass to a new account with the same email.

A token of an external identity provider names an account of that provider: (`iss`,
`sub`), bound to one user. The binding is made on the account's first sign-in, by email,
only when the provider says the email is verified, linking is enabled, and the user has
no account of that provider yet; after that the email claim plays no part.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth.models import ExternalIdentity, RevokedToken, User
from metrica.server.db import dialect_insert, dialect_of, utcnow

MAX_SUBJECT = 255  # ExternalIdentity.subject and .issuer


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def user_for_token(
    *,
    session: AsyncSession,
    token: str,
    claims: dict[str, Any],
    external_idp: bool,
    link_verified_email: bool,
) -> User | None:
    """The user a verified token authenticates, or None (the caller answers 401)."""
    if await session.get(RevokedToken, token_hash(token)) is not None:
        return None
    if external_idp:
        return await _bound_user(session=session, claims=claims, link=link_verified_email)
    return await _own_user(session=session, claims=claims)


async def _own_user(*, session: AsyncSession, claims: dict[str, Any]) -> User | None:
    version = claims.get("ver")
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        return None
    user = await session.get(User, user_id)
    return user if user is not None and user.token_version == version else None


def email_verified(claims: dict[str, Any]) -> bool:
    """The provider's word that the email is the account holder's: JSON `true` (some
    providers send the string "true")."""
    return claims.get("email_verified") in (True, "true")


async def _bound_user(*, session: AsyncSession, claims: dict[str, Any], link: bool) -> User | None:
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str):
        return None
    if not issuer or not subject or max(len(issuer), len(subject)) > MAX_SUBJECT:
        return None
    user = await _user_bound_to(session=session, issuer=issuer, subject=subject)
    if user is not None or not link or not email_verified(claims):
        return user
    email = claims.get("email")
    if not isinstance(email, str):
        return None
    candidate = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if candidate is None:
        return None
    # Binds only while the user has no account of this issuer (unique user_id, issuer);
    # a concurrent first sign-in of the same account binds once.
    insert = dialect_insert(dialect_of(session))
    await session.execute(
        insert(ExternalIdentity)
        .values(issuer=issuer, subject=subject, user_id=candidate.id, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    await session.commit()
    return await _user_bound_to(session=session, issuer=issuer, subject=subject)


async def _user_bound_to(*, session: AsyncSession, issuer: str, subject: str) -> User | None:
    return await session.scalar(
        select(User)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    )


async def revoke(*, session: AsyncSession, token: str, claims: dict[str, Any]) -> None:
    """Refuse `token` from now until it expires; forget tokens that have expired."""
    now = utcnow()
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    if expires > now:
        insert = dialect_insert(dialect_of(session))
        await session.execute(
            insert(RevokedToken)
            .values(token_hash=token_hash(token), expires_at=expires)
            .on_conflict_do_nothing()
        )


async def end_all_sessions(*, session: AsyncSession, user: User) -> None:
    """Every token signed for the user so far stops working (password changed or set)."""
    await session.execute(  # in SQL, so that concurrent changes both count
        update(User).where(User.id == user.id).values(token_version=User.token_version + 1)
    )
    await session.refresh(user, ["token_version"])
