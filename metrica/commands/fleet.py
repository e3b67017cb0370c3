"""`metrica fleet rotate-secrets`: re-encrypt stored camera sources with the first key."""

from __future__ import annotations

import argparse
import asyncio

from pydantic import ValidationError

from metrica.commands.common import Subparsers, fail, server_settings
from metrica.server.settings import Settings

DESCRIPTION = """\
Key rotation for the camera secrets kept for boxes (docs/fleet.md): set
METRICA_FLEET_SECRETS_KEYS=NEW,OLD (the first encrypts, all decrypt), run this to
re-encrypt every stored source and worker key with NEW, then drop OLD.
"""


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "fleet", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="fleet_command", metavar="COMMAND", required=True)
    rotate = commands.add_parser("rotate-secrets", help="re-encrypt camera secrets")
    rotate.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    rotate.set_defaults(func=run_rotate)


def run_rotate(args: argparse.Namespace) -> int:
    try:
        settings = server_settings(args.db_url)
    except ValidationError as exc:
        return fail("fleet rotate-secrets", exc.errors()[0]["msg"])
    return asyncio.run(_rotate(settings))


async def _rotate(settings: Settings) -> int:
    from metrica.server.db import create_engine, session_factory
    from metrica.server.fleet.secrets import SecretBox, SecretsError
    from metrica.server.fleet.service import rotate_secrets

    keys = settings.fleet_secrets_keys
    secret_box = SecretBox.from_settings(
        keys.get_secret_value() if keys else None, settings.secret_key.get_secret_value()
    )
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            try:
                count = await rotate_secrets(session=session, secret_box=secret_box)
            except SecretsError:
                return fail(
                    "fleet rotate-secrets",
                    "a stored secret opens with none of METRICA_FLEET_SECRETS_KEYS "
                    "(list the old key after the new one); nothing was changed",
                )
            await session.commit()
    finally:
        await engine.dispose()
    print(f"re-encrypted the secrets of {count} camera(s) with the first key")
    return 0
