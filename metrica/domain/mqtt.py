"""The MQTT topic layout both ends share (`metrica/v1/...`), and the broker URL rule. No I/O.

A box publishes under its own id, a box id being the broker username (the ACL made by
`metrica mqtt acl` pins each box to `metrica/v1/boxes/<its id>/...`):

    metrica/v1/boxes/{box}/cameras/{camera}/events   box → backend, QoS 1: {"events": [...]}
    metrica/v1/boxes/{box}/heartbeat                 box → backend, QoS 1: BoxHeartbeat
    metrica/v1/boxes/{box}/config                    backend → box, QoS 1, retained: BoxConfig
    metrica/v1/boxes/{box}/commands                  backend → box, QoS 1, retained: BoxCommand

`v1` changes only with an incompatible payload; a v2 would live beside it during a rollout.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

PREFIX = "metrica/v1"
MAX_PAYLOAD_BYTES = 1 << 20  # one message; a full 500-event batch is about 150 KB
SERVER_USERNAME = "metrica-server"

TopicKind = Literal["events", "heartbeat", "config", "commands"]
TOPIC_KINDS: tuple[TopicKind, ...] = ("events", "heartbeat", "config", "commands")

# What the backend subscribes to (every box's uplink topics).
EVENTS_FILTER = f"{PREFIX}/boxes/+/cameras/+/events"
HEARTBEAT_FILTER = f"{PREFIX}/boxes/+/heartbeat"


def box_topic(box_id: str | uuid.UUID, kind: Literal["heartbeat", "config", "commands"]) -> str:
    return f"{PREFIX}/boxes/{box_id}/{kind}"


def events_topic(box_id: str | uuid.UUID, camera_id: str | uuid.UUID) -> str:
    return f"{PREFIX}/boxes/{box_id}/cameras/{camera_id}/events"


@dataclass(frozen=True, slots=True)
class TopicRef:
    """What a topic names: its kind, the box, and for events the camera."""

    kind: TopicKind
    box_id: uuid.UUID
    camera_id: uuid.UUID | None = None


def _uuid(text: str) -> uuid.UUID | None:
    if len(text) != 36:  # canonical form only: one box, one topic spelling
        return None
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return value if str(value) == text else None


def parse_topic(topic: str) -> TopicRef | None:
    """The box (and camera) a topic belongs to, or None for anything off the layout."""
    if len(topic) > 200:
        return None
    parts = topic.split("/")
    if parts[:3] != ["metrica", "v1", "boxes"] or len(parts) < 5:
        return None
    box_id = _uuid(parts[3])
    if box_id is None:
        return None
    if len(parts) == 5 and parts[4] in ("heartbeat", "config", "commands"):
        kind: TopicKind = parts[4]  # type: ignore[assignment]
        return TopicRef(kind, box_id)
    if len(parts) == 7 and parts[4] == "cameras" and parts[6] == "events":
        camera_id = _uuid(parts[5])
        return None if camera_id is None else TopicRef("events", box_id, camera_id)
    return None


def client_id(box_id: str, camera_id: str | None = None) -> str:
    """A fixed client id per box (and per camera worker): the broker keeps its session."""
    return f"mbox-{box_id}" if camera_id is None else f"mbox-{box_id}-{camera_id}"


class BoxCommand(BaseModel):
    """A retained command for one box. `revoked`: stop every camera (like HTTP 401)."""

    model_config = ConfigDict(extra="forbid")

    command: Literal["revoked", "none"]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool


_BROKER_URL = re.compile(
    r"(mqtts?)://([A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?/?"
)


class BrokerUrlError(ValueError):
    """Not an mqtt(s)://host[:port] URL."""


def broker_address(url: str) -> BrokerAddress:
    """`mqtt://host[:port]` (1883) or `mqtts://host[:port]` (8883); no credentials in it."""
    found = _BROKER_URL.fullmatch(url.strip())
    if found is None:
        if "@" in url:
            raise BrokerUrlError("put the MQTT password in the environment, not in the URL")
        raise BrokerUrlError(f"{url[:200]!r}: expected mqtt(s)://host[:port]")
    scheme, host, port = found.group(1), found.group(2).strip("[]"), found.group(3)
    tls = scheme == "mqtts"
    number = int(port) if port else (8883 if tls else 1883)
    if not 0 < number < 65536:
        raise BrokerUrlError(f"{url[:200]!r}: bad port")
    return BrokerAddress(host, number, tls)
