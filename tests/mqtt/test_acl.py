"""`metrica mqtt acl` against a real Mosquitto: each box (username = its id, password = its
key) may publish only its own uplink topics and read only its own config and commands;
wrong passwords, anonymous clients and revoked boxes are refused."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.domain.mqtt import SERVER_USERNAME, box_topic, client_id, events_topic
from metrica.edge.mqtt_link import MqttLink, MqttSettings
from metrica.server.db import create_engine, session_factory
from metrica.server.fleet import service as fleet
from metrica.server.fleet.models import Box
from tests.support.db import migrate, sqlite_url_in
from tests.support.mosquitto import SERVER_PASSWORD, Broker
from tests.support.mqtt_fleet import SeededBox, event_bodies, seed_box
from tests.support.processes import poll


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url_in(tmp_path_factory.mktemp("acl-db"))
    migrate(url)
    return url


def _acl_command(db_url: str, acl: Path, passwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "METRICA_DATABASE_URL": db_url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": "acl-tests-" + "s" * 30,
        "METRICA_MQTT_PASSWORD": SERVER_PASSWORD,
    }
    argv = [sys.executable, "-m", "metrica.cli", "mqtt", "acl"]
    argv += ["--acl-file", str(acl), "--password-file", str(passwd)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


class Received:
    """Topics a client got, thread-safe (paho calls back on its own thread)."""

    def __init__(self) -> None:
        self.topics: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self.topics.append(topic)

    def has(self, topic: str) -> bool:
        with self._lock:
            return topic in self.topics


def _link(
    url: str, user: str, password: str, cid: str, *subs: str, got: Received | None = None
) -> MqttLink:
    link = MqttLink(
        MqttSettings(url, user, password, timeout_s=5), cid, subscriptions=subs, on_message=got
    )
    link.start()
    return link


@pytest.fixture
def acl_broker(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Broker, SeededBox, SeededBox]]:
    a, b = seed_box(sqlite_url), seed_box(sqlite_url)
    broker = Broker(tmp_path / "broker")  # its files are replaced by the command's
    done = _acl_command(sqlite_url, broker.acl, broker.passwd)
    assert done.returncode == 0, done.stderr
    with broker:
        yield broker, a, b


def test_the_files_the_command_writes(sqlite_url: str, tmp_path: Path) -> None:
    box = seed_box(sqlite_url)
    acl, passwd = tmp_path / "m.acl", tmp_path / "m.passwd"
    done = _acl_command(sqlite_url, acl, passwd)
    assert done.returncode == 0, done.stderr
    users = [line.split(":", 1)[0] for line in passwd.read_text().splitlines()]
    assert users[0] == SERVER_USERNAME
    assert box.box_id in users
    assert all(
        line.split(":", 1)[1].startswith("$7$101$") for line in passwd.read_text().splitlines()
    )
    assert stat.S_IMODE(passwd.stat().st_mode) == 0o600
    assert "pattern write metrica/v1/boxes/%u/cameras/+/events" in acl.read_text()
    assert box.box_key not in passwd.read_text() + done.stdout + done.stderr


def test_each_box_is_kept_to_its_own_topics(
    acl_broker: tuple[Broker, SeededBox, SeededBox],
) -> None:
    broker, a, b = acl_broker
    server_got = Received()
    server = _link(
        broker.url, SERVER_USERNAME, SERVER_PASSWORD, "acl-server", "metrica/v1/#", got=server_got
    )
    assert server.wait_connected(10)
    for box in (a, b):
        assert (
            server.publish(box_topic(box.box_id, "config"), b'{"retained": true}', retain=True)
            is None
        )
    box_a = _link(broker.url, a.box_id, a.box_key, client_id(a.box_id))
    assert box_a.wait_connected(10)
    body = ('{"events":[' + event_bodies(a.camera_ids[0], 1)[0][1] + "]}").encode()
    # Another box's topics: the broker refuses (MQTT 5 PUBACK "not authorised").
    assert box_a.publish(events_topic(b.box_id, b.camera_ids[0]), body) == "mqtt_refused"
    assert box_a.publish(box_topic(b.box_id, "heartbeat"), b"{}") == "mqtt_refused"
    assert box_a.publish(box_topic(a.box_id, "config"), b"{}") == "mqtt_refused"  # read-only
    # Its own uplink topics: delivered to the backend.
    assert box_a.publish(events_topic(a.box_id, a.camera_ids[0]), body) is None
    assert box_a.publish(box_topic(a.box_id, "heartbeat"), b"{}") is None
    poll(lambda: server_got.has(box_topic(a.box_id, "heartbeat")), timeout_s=10, what="A's beat")
    assert server_got.has(events_topic(a.box_id, a.camera_ids[0]))
    assert not server_got.has(events_topic(b.box_id, b.camera_ids[0]))
    assert not server_got.has(box_topic(b.box_id, "heartbeat"))
    box_a.close()
    # Reading: B's config first, then its own; the own one arriving means B's was refused.
    got = Received()
    reader = _link(
        broker.url,
        a.box_id,
        a.box_key,
        client_id(a.box_id) + "-r",
        box_topic(b.box_id, "config"),
        box_topic(a.box_id, "config"),
        got=got,
    )
    poll(lambda: got.has(box_topic(a.box_id, "config")), timeout_s=10, what="A's config")
    assert not got.has(box_topic(b.box_id, "config"))
    reader.close()
    server.close()


def test_wrong_passwords_anonymous_clients_and_revoked_boxes_are_refused(
    acl_broker: tuple[Broker, SeededBox, SeededBox], sqlite_url: str
) -> None:
    broker, a, b = acl_broker
    wrong = _link(broker.url, a.box_id, b.box_key, "wrong")  # B's key is not A's password
    anonymous = _link(broker.url, "", "", "anon")
    poll(lambda: wrong.refused_reason and anonymous.refused_reason, timeout_s=10, what="refusals")
    assert not wrong.connected
    assert not anonymous.connected
    wrong.close()
    anonymous.close()

    async def revoke() -> None:
        engine = create_engine(sqlite_url)
        async with session_factory(engine)() as session:
            box = await session.get(Box, uuid.UUID(b.box_id))
            assert box is not None
            await fleet.revoke(session=session, box=box, now=box.enrolled_at)
            await session.commit()
        await engine.dispose()

    asyncio.run(revoke())
    size = broker.log_size()
    assert _acl_command(sqlite_url, broker.acl, broker.passwd).returncode == 0
    assert b.box_id not in broker.passwd.read_text()
    broker.reload()
    broker.wait_for_log("Reloading config", after=size)
    revoked = _link(broker.url, b.box_id, b.box_key, "revoked")
    still = _link(broker.url, a.box_id, a.box_key, "still")
    poll(lambda: revoked.refused_reason, timeout_s=10, what="the revoked box refused")
    assert still.wait_connected(10)
    revoked.close()
    still.close()
