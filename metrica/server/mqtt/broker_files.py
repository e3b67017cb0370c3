"""Mosquitto's files for a Metrica fleet: the ACL and the password file (`metrica mqtt acl`).

The ACL needs no per-box lines: `pattern` rules substitute the username (`%u`), and a
box's username is its id, so each box may write only its own uplink topics and read only
its own config and commands; the backend's user reads and writes everything under
`metrica/v1/`. Anyone else (and anonymous clients) get nothing. The password file lists
the backend's user and every unrevoked box with its key in Mosquitto's `$7$` form
(PBKDF2-SHA512, 101 rounds, 12-byte salt: what `mosquitto_passwd` writes).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable

from metrica.domain.mqtt import PREFIX, SERVER_USERNAME

_ITERATIONS = 101


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    """`password` as `mosquitto_passwd` stores it: `$7$101$<salt b64>$<hash b64>`."""
    salt = os.urandom(12) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ITERATIONS)
    return f"$7${_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def acl_text(server_username: str = SERVER_USERNAME) -> str:
    """The ACL file: the backend's user, then the per-box patterns."""
    return f"""# Metrica MQTT ACL (written by `metrica mqtt acl`; topic layout in docs/fleet.md).
# A box's username is its id: %u pins every box to its own topics.

user {server_username}
topic readwrite {PREFIX}/#

pattern write {PREFIX}/boxes/%u/cameras/+/events
pattern write {PREFIX}/boxes/%u/heartbeat
pattern read {PREFIX}/boxes/%u/config
pattern read {PREFIX}/boxes/%u/commands
"""


def password_file(boxes: Iterable[tuple[str, str]], server_hash: str | None) -> str:
    """`user:hash` lines: the backend's (when its hash is given) and each `(box id, hash)`."""
    lines = [] if server_hash is None else [f"{SERVER_USERNAME}:{server_hash}"]
    lines += [f"{box_id}:{hashed}" for box_id, hashed in boxes]
    return "".join(f"{line}\n" for line in lines)


def mosquitto_conf(
    *, port: int, acl_path: str, password_path: str, data_dir: str, user: str | None = None
) -> str:
    """A minimal broker config for these files (tests, bench, and the docs' example);
    `user`: who a broker started as root runs as (default Mosquitto's own `mosquitto`)."""
    run_as = "" if user is None else f"user {user}\n"
    return f"""{run_as}listener {port} 127.0.0.1
allow_anonymous false
password_file {password_path}
acl_file {acl_path}
persistence true
persistence_location {data_dir}/
autosave_interval 1
max_queued_messages 100000
max_inflight_messages 100
max_packet_size 1100000
"""
