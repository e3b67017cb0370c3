"""Users written straight into a backend's database, for tests that drive it over HTTP."""

from __future__ import annotations

import asyncio

from metrica.server.auth import service as auth
from metrica.server.auth.passwords import Passwords
from metrica.server.db import create_engine, session_factory


def create_superadmin(db_url: str, email: str, password: str) -> None:
    """A superadmin written straight into the backend's database (as `metrica demo` would)."""

    async def create() -> None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                await auth.create_user(
                    session=session,
                    email=email,
                    role="superadmin",
                    password=password,
                    hasher=Passwords(max_concurrent=1),
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(create())
