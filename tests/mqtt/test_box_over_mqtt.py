"""A box in MQTT mode (`metrica edge run --mqtt-url`): its config arrives retained from the
consumer and changes are pushed, its heartbeats reach the database, its workers are told
to ship over MQTT, and a revocation stops it, all through a real Mosquitto."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from metrica.edge.box import BoxAgent, BoxSettings
from metrica.edge.enrolment import BoxCredentials
from metrica.edge.supervisor import Supervisor
from metrica.server.cameras.models import Camera
from metrica.server.db import create_engine, session_factory, utcnow
from metrica.server.fleet import service as fleet
from metrica.server.fleet.models import Box
from metrica.server.fleet.schemas import CameraSettingsUpdate
from tests.support.backend import Backend
from tests.support.mosquitto import Broker
from tests.support.mqtt_fleet import SECRET_KEY, box_row, secret_box, seed_box
from tests.support.mqtt_processes import SUBSCRIBED, admit, consumer
from tests.support.processes import poll


def _in_db(db_url: str, work: Callable[[Any], Coroutine[Any, Any, None]]) -> None:
    async def run() -> None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                await work(session)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_config_heartbeats_and_revocation_over_mqtt(
    db_url: str, broker: Broker, tmp_path: Path
) -> None:
    seeded = seed_box(db_url)
    admit(broker, db_url)
    ingest = consumer(db_url, broker.url, tmp_path / "consumer.log").start()
    credentials = BoxCredentials(
        "http://127.0.0.1:9", seeded.box_id, seeded.store_id, seeded.box_key
    )  # nothing goes over HTTP in MQTT mode: a dead URL proves it
    settings = BoxSettings(
        credentials, tmp_path / "box", poll_s=0.2, heartbeat_s=0.3, mqtt_url=broker.url
    )
    supervisor = Supervisor(stop_timeout_s=5)  # not run: the specs it is given are read
    agent = BoxAgent(settings, supervisor)
    thread = threading.Thread(target=agent.run, daemon=True)
    try:
        ingest.wait_for_log(SUBSCRIBED)
        thread.start()
        config = poll(lambda: agent.config, timeout_s=30, what="the pushed config")
        assert [str(c.camera_id) for c in config.cameras] == list(seeded.camera_ids)
        specs = poll(lambda: supervisor._pending, timeout_s=10, what="workers applied")
        argv, env = specs[0].argv, dict(specs[0].env)
        assert argv[argv.index("--mqtt-url") + 1] == broker.url
        assert argv[argv.index("--mqtt-box-id") + 1] == seeded.box_id
        assert env["METRICA_MQTT_PASSWORD"] == seeded.box_key
        assert seeded.box_key not in " ".join(argv)

        poll(
            lambda: (row := box_row(db_url, seeded.box_id)) and row.last_seen_at,
            timeout_s=30,
            what="a heartbeat stored",
        )

        async def stride_3(session: Any) -> None:
            camera = await session.get(Camera, uuid.UUID(seeded.camera_ids[0]))
            await fleet.update_settings(
                session=session,
                camera=camera,
                data=CameraSettingsUpdate(stride=3),
                secret_box=secret_box(),
                now=utcnow(),
                actor_email="admin@metrica.test",
            )

        _in_db(db_url, stride_3)
        poll(
            lambda: agent.config and agent.config.cameras[0].settings.stride == 3,
            timeout_s=30,
            what="the change pushed",
        )

        async def revoke(session: Any) -> None:
            box = await session.get(Box, uuid.UUID(seeded.box_id))
            await fleet.revoke(session=session, box=box, now=utcnow())

        _in_db(db_url, revoke)
        poll(lambda: agent.revoked, timeout_s=30, what="the box told it is revoked")
        thread.join(15)
        assert not thread.is_alive()
        assert supervisor._pending == []  # every camera stopped
    finally:
        supervisor.stop.set()
        thread.join(15)
        ingest.stop()


def test_a_box_asks_over_http_while_nothing_was_pushed(
    db_url: str, broker: Broker, tmp_path: Path
) -> None:
    """A new box whose config no consumer has pushed yet still starts its cameras."""
    seeded = seed_box(db_url)
    admit(broker, db_url)
    # No METRICA_MQTT_URL: this backend runs no consumer, so nothing is ever pushed.
    with Backend(db_url, env={"METRICA_SECRET_KEY": SECRET_KEY}) as backend:
        credentials = BoxCredentials(backend.url, seeded.box_id, seeded.store_id, seeded.box_key)
        settings = BoxSettings(
            credentials, tmp_path / "box", poll_s=0.5, heartbeat_s=60, mqtt_url=broker.url
        )
        supervisor = Supervisor(stop_timeout_s=5)
        agent = BoxAgent(settings, supervisor)
        thread = threading.Thread(target=agent.run, daemon=True)
        thread.start()
        try:
            config = poll(lambda: agent.config, timeout_s=60, what="the config over HTTP")
            assert [str(c.camera_id) for c in config.cameras] == list(seeded.camera_ids)
            specs = poll(lambda: supervisor._pending, timeout_s=10, what="workers applied")
            assert "--mqtt-url" in specs[0].argv  # events still go over MQTT
        finally:
            supervisor.stop.set()
            thread.join(15)
        assert not thread.is_alive()
