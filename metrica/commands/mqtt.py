"""`metrica mqtt acl` (Mosquitto's ACL and password file) and `metrica mqtt consume`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from metrica.commands.common import CliError, Subparsers, fail, server_settings
from metrica.server.settings import Settings

DESCRIPTION = """\
MQTT transport for fleet boxes (docs/fleet.md). `acl` writes Mosquitto's ACL (each box,
whose username is its id, may publish and read only under metrica/v1/boxes/<its id>/) and,
with --password-file, the password file: the backend's user (METRICA_MQTT_PASSWORD) and
every unrevoked box (its key, hashed as mosquitto_passwd does). Run it again after a box
is enrolled or revoked and send the broker SIGHUP (it re-reads both files). `consume`
runs the backend's MQTT consumer on its own (`metrica serve` runs it when
METRICA_MQTT_URL is set).
"""

GUIDANCE = """\
# mosquitto.conf (see docs/fleet.md):
#   listener 8883 / certfile, keyfile   (TLS outside a lab)
#   allow_anonymous false
#   password_file {password}
#   acl_file {acl}
#   persistence true                     (sessions and queued messages survive a restart)
# then after every enrolment or revocation: metrica mqtt acl ... && kill -HUP <mosquitto>
"""


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "mqtt", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="mqtt_command", metavar="COMMAND", required=True)
    acl = commands.add_parser("acl", help="write Mosquitto's ACL (and password file)")
    acl.add_argument("--acl-file", type=Path, help="write the ACL here (default: stdout)")
    acl.add_argument(
        "--password-file",
        type=Path,
        help="also write the password file (backend user + every unrevoked box), mode 0600",
    )
    acl.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    acl.set_defaults(func=run_acl)
    consume = commands.add_parser("consume", help="run the MQTT consumer until SIGTERM")
    consume.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    consume.set_defaults(func=run_consume)


def _settings(args: argparse.Namespace, command: str) -> Settings:
    try:
        return server_settings(args.db_url)
    except ValidationError as exc:
        raise CliError(f"{command}: {exc.errors()[0]['msg']}") from None


def run_acl(args: argparse.Namespace) -> int:
    from metrica.server.mqtt.broker_files import acl_text

    try:
        settings = _settings(args, "mqtt acl")
        text = acl_text(settings.mqtt_username)
        if args.acl_file is None:
            sys.stdout.write(text)
        else:
            _write(args.acl_file, text, 0o644)
        if args.password_file is not None:
            count = asyncio.run(_password_file(settings, args.password_file))
            print(f"{args.password_file}: {count} box(es) and the backend user", file=sys.stderr)
    except CliError as exc:
        return fail("mqtt acl", str(exc))
    except OSError as exc:
        return fail("mqtt acl", f"cannot write: {exc.strerror}")
    print(
        GUIDANCE.format(
            password=args.password_file or "/etc/mosquitto/metrica.passwd",
            acl=args.acl_file or "/etc/mosquitto/metrica.acl",
        ),
        file=sys.stderr,
        end="",
    )
    return 0


async def _password_file(settings: Settings, path: Path) -> int:
    from metrica.server.db import create_engine, session_factory
    from metrica.server.mqtt.broker_files import mosquitto_hash, password_file
    from metrica.server.mqtt.service import box_password_hashes

    if settings.mqtt_password is None:
        raise CliError("set METRICA_MQTT_PASSWORD (the backend's broker password) first")
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            boxes = await box_password_hashes(session=session)
    finally:
        await engine.dispose()
    server_hash = mosquitto_hash(settings.mqtt_password.get_secret_value())
    _write(path, password_file(boxes, server_hash), 0o600)
    return len(boxes)


def _write(path: Path, text: str, mode: int) -> None:
    """Replace `path` atomically (the broker may be reading it), with `mode` from the start."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def run_consume(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args, "mqtt consume")
    except CliError as exc:
        return fail("mqtt consume", str(exc))
    if not settings.mqtt_url:
        return fail("mqtt consume", "set METRICA_MQTT_URL (mqtt(s)://host[:port])")
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from metrica.server.policies.loader import PolicyFileError

    try:
        asyncio.run(_consume(settings))
    except PolicyFileError as exc:  # refused at start, as `metrica serve` does
        return fail("mqtt consume", str(exc))
    return 0


async def _consume(settings: Settings) -> None:
    from metrica.server.db import create_engine, session_factory
    from metrica.server.mqtt.consumer import consumer_for, stop_consumer
    from metrica.server.policies.loader import ActivePolicy, load_policies
    from metrica.server.state import POLICY_INFO

    # The privacy policy travels in the sessions, as in `metrica serve`: ingest applies it.
    policy = ActivePolicy.of(load_policies(settings.policy_file, settings.policy_dir))
    engine = create_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    consumer = consumer_for(settings, session_factory(engine, info={POLICY_INFO: policy}))
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED")
    finally:
        await stop_consumer(consumer, task)
        await engine.dispose()
