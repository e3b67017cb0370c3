"""`metrica edge enroll` and `metrica edge run`: a fleet box, configured from the backend."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from metrica import __version__
from metrica.commands.common import CliError, Subparsers, fail
from metrica.commands.worker import setup_logging
from metrica.domain.mqtt import BrokerUrlError, broker_address
from metrica.edge.box import BoxSettings, run_box
from metrica.edge.enrolment import EnrolmentError, enrol, load_credentials, save_credentials
from metrica.edge.settings import SettingsError, checked_api_url

log = logging.getLogger("metrica.edge.box")

TOKEN_ENV = "METRICA_ENROLMENT_TOKEN"
DEFAULT_STATE_DIR = Path("var") / "box"
EXIT_REVOKED = 3

DESCRIPTION = """\
Run this machine as a Metrica box: enrol it once with a one-time token from the admin app,
then `metrica edge run` pulls its cameras and their settings from the backend and runs one
worker per camera, applying changes within a poll, without a restart.
"""

ENROLL_EPILOG = f"""\
the token (one-time, short-lived) is read, in this order, from:
  --token-file FILE, --token - (standard input), ${TOKEN_ENV}, or --token VALUE
  (the last one shows the token to every user of this machine in `ps`: a warning says so)

the credentials (box id and key) are written to STATE_DIR/credentials.json, mode 0600;
`metrica edge run` refuses a credentials file that others may read.
"""

RUN_EPILOG = """\
what the box writes under STATE_DIR: credentials.json (from enroll), keys/<camera>.key
(mode 0600, the workers' keys), outbox/<camera>.db (each worker's outbox).

exit codes: 0 stopped by a signal, 2 bad configuration, 3 the backend refused the box's
key (revoked): every worker is stopped; enrol again with a new token. Under systemd, set
RestartPreventExitStatus=3.
"""


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "edge", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="edge_command", metavar="COMMAND", required=True)
    enroll = commands.add_parser(
        "enroll",
        help="exchange a one-time enrolment token for this box's credentials",
        epilog=ENROLL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    enroll.add_argument("--api-url", required=True, help="backend base URL, http(s)://host[:port]")
    enroll.add_argument("--token", metavar="VALUE|-", help="the token, or - for standard input")
    enroll.add_argument("--token-file", type=Path, help="file holding the token")
    enroll.add_argument("--hostname", default=None, help="name to show (default: this host's)")
    _state_dir(enroll)
    enroll.add_argument(
        "--force", action="store_true", help="replace existing credentials (a new box)"
    )
    enroll.set_defaults(func=run_enroll)

    run = commands.add_parser(
        "run",
        help="run the cameras the backend assigns to this box",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _state_dir(run)
    run.add_argument("--poll-s", type=float, default=30.0, help="config poll period (%(default)s)")
    run.add_argument(
        "--heartbeat-s", type=float, default=30.0, help="box heartbeat period (%(default)s)"
    )
    run.add_argument(
        "--worker-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="extra `metrica worker` flag for every camera (repeatable), e.g. "
        "--worker-arg=--config-poll-s=5",
    )
    run.add_argument(
        "--mqtt-url",
        default=os.environ.get("METRICA_MQTT_URL") or None,
        help="ship over MQTT (mqtt(s)://host[:port], env METRICA_MQTT_URL): events, heartbeats "
        "and pushed config; the broker username is the box id, the password its key",
    )
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="info")
    run.set_defaults(func=run_edge)


def _state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("METRICA_BOX_DIR") or DEFAULT_STATE_DIR),
        help="where the box keeps its credentials, keys and outboxes "
        "(env METRICA_BOX_DIR, default var/box)",
    )


def _read_token(args: argparse.Namespace) -> str:
    token: str
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CliError(f"--token-file {args.token_file}: {exc.strerror}") from None
    elif args.token == "-":
        token = sys.stdin.readline().strip()
    elif os.environ.get(TOKEN_ENV):
        token = os.environ[TOKEN_ENV].strip()
    elif args.token:
        log.warning(
            "--token puts the enrolment token on the command line, where any user of this "
            "machine can read it (ps); use --token-file, --token - or %s instead",
            TOKEN_ENV,
        )
        token = args.token.strip()
    else:
        raise CliError(f"an enrolment token is required: --token-file, --token - or {TOKEN_ENV}")
    if not token or len(token) > 200:
        raise CliError("the enrolment token is empty or too long")
    return token


def run_enroll(args: argparse.Namespace) -> int:
    setup_logging("info")
    try:
        api_url = checked_api_url(args.api_url)
        token = _read_token(args)
        path = args.state_dir / "credentials.json"
        if path.exists() and not args.force:
            raise CliError(f"{path} exists: this box is enrolled (--force enrols it anew)")
        credentials = enrol(
            api_url,
            token,
            hostname=args.hostname or socket.gethostname(),
            version=__version__,
        )
        save_credentials(path, credentials)
    except SettingsError as exc:
        return fail("edge enroll", f"--api-url {exc}")
    except (CliError, EnrolmentError) as exc:
        return fail("edge enroll", str(exc))
    except OSError as exc:
        return fail("edge enroll", f"cannot write the credentials: {exc.strerror}")
    print(f"enrolled as box {credentials.box_id}; credentials in {path} (mode 0600)")
    return 0


def run_edge(args: argparse.Namespace) -> int:
    for name in ("poll_s", "heartbeat_s"):
        if not getattr(args, name) > 0:
            return fail("edge run", f"--{name.replace('_', '-')} must be positive")
    if args.mqtt_url:
        try:
            broker_address(args.mqtt_url)
        except BrokerUrlError as exc:
            return fail("edge run", f"--mqtt-url {exc}")
    try:
        credentials = load_credentials(args.state_dir / "credentials.json")
    except SettingsError as exc:
        return fail("edge run", str(exc))
    setup_logging(args.log_level)
    settings = BoxSettings(
        credentials=credentials,
        state_dir=args.state_dir,
        poll_s=args.poll_s,
        heartbeat_s=args.heartbeat_s,
        log_level=args.log_level,
        worker_args=tuple(args.worker_arg),
        mqtt_url=args.mqtt_url,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if not stop.is_set():
            log.info("%s: stopping every worker", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("box %s -> %s", credentials.box_id, credentials.api_url)
    revoked = run_box(settings, stop=stop)
    return EXIT_REVOKED if revoked else 0
