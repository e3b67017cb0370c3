"""Events/s from boxes through a real Mosquitto into PostgreSQL, and the same with broker
restarts mid-stream: nothing lost, nothing stored twice.

Each camera is the worker's real sender (a SQLite outbox, `Shipper`, `MqttEventUplink`:
QoS 1, rows leave the outbox on PUBACK) on a thread of this process; the broker is a
Mosquitto of the bench's own (persistence on, Metrica's ACL and password file); the
backend side is `metrica mqtt consume` as a process, on a throwaway PostgreSQL database.
The rate is end to end: from the first publish until the last event is in the database.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.bench_support import PG_URL, admin_sql, free_port
from metrica.domain.events import LineCrossed
from metrica.domain.mqtt import client_id
from metrica.edge.mqtt_link import MqttEventUplink, MqttSettings
from metrica.edge.outbox import Outbox
from metrica.edge.shipper import BatchPolicy, RetryPolicy, Shipper
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow
from metrica.server.fleet import service as fleet
from metrica.server.fleet.schemas import CameraSettingsUpdate
from metrica.server.fleet.secrets import SecretBox
from metrica.server.migrate import upgrade
from metrica.server.mqtt.broker_files import acl_text, mosquitto_conf, mosquitto_hash, password_file
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

SECRET_KEY = "bench-mqtt-" + "k" * 32
SERVER_PASSWORD = "bench-server-" + uuid.uuid4().hex
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def seed(url: str, n_cameras: int) -> tuple[str, str, list[str]]:
    """A store, an enrolled box and `n_cameras` cameras assigned to it."""
    await upgrade(engine := create_engine(url))
    now = datetime.now(UTC)
    secret_box = SecretBox.from_settings(None, SECRET_KEY)
    async with session_factory(engine)() as session:
        store = await stores.create(session=session, data=StoreCreate(name="bench", timezone="UTC"))
        token, _ = await fleet.issue_enrolment_token(
            session=session, store_id=store.id, ttl_s=600, now=now
        )
        enrolled = await fleet.enrol(
            session=session, token=token, hostname="b", version="0", now=now
        )
        assert enrolled is not None
        box, key = enrolled
        ids = []
        for i in range(n_cameras):
            camera = Camera(store_id=store.id, name=f"c{i}", is_counting_line=True)
            session.add(camera)
            await session.flush()
            spec = LineSpec(line_id="door", x1=0, y1=0.5, x2=1, y2=0.5)
            await cameras.replace_lines(session=session, camera=camera, specs=[spec])
            await fleet.update_settings(
                session=session,
                camera=camera,
                data=CameraSettingsUpdate(source=f"rtsp://c{i}/s"),
                secret_box=secret_box,
                now=now,
                actor_email="admin@metrica.test",
            )
            await fleet.assign(
                session=session, camera=camera, box=box, secret_box=secret_box, now=now
            )
            ids.append(str(camera.id))
        hashes = [(str(box.id), box.mqtt_password_hash or "")]
        await session.commit()
    await engine.dispose()
    return hashes[0][0], key, ids


async def stored(url: str) -> tuple[int, int]:
    """(rows, distinct event ids) in the events table."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        rows = await session.scalar(select(func.count()).select_from(EventRow))
        distinct = await session.scalar(select(func.count(func.distinct(EventRow.event_id))))
    await engine.dispose()
    return int(rows or 0), int(distinct or 0)


class Broker:
    def __init__(self, directory: Path, box_id: str, box_hash: str) -> None:
        self.dir, self.port = directory, free_port()
        (directory / "data").mkdir(parents=True)
        (directory / "acl").write_text(acl_text())
        (directory / "passwd").write_text(
            password_file([(box_id, box_hash)], mosquitto_hash(SERVER_PASSWORD))
        )
        (directory / "passwd").chmod(0o600)
        conf = mosquitto_conf(
            port=self.port,
            acl_path=str(directory / "acl"),
            password_path=str(directory / "passwd"),
            data_dir=str(directory / "data"),
            user=getpass.getuser(),
        )
        (directory / "conf").write_text(conf)
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        log = (self.dir / "log").open("ab")
        self.proc = subprocess.Popen([binary, "-c", str(self.dir / "conf")], stdout=log, stderr=log)
        _wait(lambda: _listening(self.port), 10, "mosquitto")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait(check: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def fill(path: Path, camera: str, n: int, offset: int) -> Outbox:
    outbox = Outbox(path)
    for start in range(offset, offset + n, 5000):
        rows = []
        for i in range(start, min(start + 5000, offset + n)):
            event = LineCrossed(
                event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{camera}/{i}"),
                camera_id=camera,
                line_id="door",
                direction="in" if i % 2 else "out",
                occurred_at=T0 + timedelta(milliseconds=i * 10),
                track_id=i,
            )
            rows.append((str(event.event_id), event.model_dump_json()))
        outbox.append(rows)
    return outbox


def run_stream(
    *,
    url: str,
    broker: Broker,
    box_id: str,
    box_key: str,
    camera_ids: list[str],
    per_camera: int,
    offset: int,
    restarts: int,
    work: Path,
    expected_total: int,
) -> dict[str, float]:
    """Send `per_camera` events from each camera; restart the broker `restarts` times at
    even steps of progress; until the database holds `expected_total` rows."""
    settings = MqttSettings(f"mqtt://127.0.0.1:{broker.port}", box_id, box_key, timeout_s=5.0)
    senders = []
    for cam in camera_ids:
        outbox = fill(work / f"{cam}-{offset}.db", cam, per_camera, offset)
        uplink = MqttEventUplink(settings, cam, client_id=client_id(box_id, cam))
        shipper = Shipper(
            outbox,
            uplink.post_events,
            camera_id=cam,
            policy=BatchPolicy(max_events=500, every_s=0.01),
            retry=RetryPolicy(base_s=0.1, cap_s=1.0),
        )
        senders.append((outbox, uplink, shipper))
    _wait(lambda: all(u.link.connected for _, u, _ in senders), 30, "senders connected")
    before = asyncio.run(stored(url))[0]
    cpu0 = time.process_time()
    started = time.perf_counter()
    for _, _, shipper in senders:
        shipper.start()
        shipper.flush(deadline_s=0)
    batch_events = len(camera_ids) * per_camera
    for step in range(1, restarts + 1):
        target = before + batch_events * step // (restarts + 1)
        _wait(lambda t=target: asyncio.run(stored(url))[0] >= t, 300, "progress")
        broker.restart()
    for outbox, _, shipper in senders:
        if not shipper.flush(deadline_s=300):
            raise RuntimeError(f"outbox not emptied: {outbox.depth} left")
    _wait(lambda: asyncio.run(stored(url))[0] >= expected_total, 300, "every event stored")
    elapsed = time.perf_counter() - started
    publisher_cpu = time.process_time() - cpu0
    for outbox, uplink, shipper in senders:
        shipper.stop()
        uplink.close()
        outbox.close()
    return {"events": batch_events, "seconds": elapsed, "publisher_cpu_s": publisher_cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k events a run, 2 restarts")
    args = parser.parse_args()
    n_cameras, per_camera, restarts = (2, 10_000, 2) if args.quick else (4, 50_000, 5)
    name = f"metrica_bench_mqtt_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="metrica-bench-mqtt-"))
    consumer: subprocess.Popen[bytes] | None = None
    broker: Broker | None = None
    try:
        box_id, box_key, camera_ids = asyncio.run(seed(url, n_cameras))
        box_hash = mosquitto_hash(box_key)
        broker = Broker(work / "broker", box_id, box_hash)
        broker.start()
        env = {
            "METRICA_DATABASE_URL": url,
            "METRICA_ENVIRONMENT": "test",
            "METRICA_SECRET_KEY": SECRET_KEY,
            "METRICA_MQTT_URL": f"mqtt://127.0.0.1:{broker.port}",
            "METRICA_MQTT_PASSWORD": SERVER_PASSWORD,
            "METRICA_LOG_LEVEL": "INFO",
        }
        log = (work / "consumer.log").open("ab")
        consumer = subprocess.Popen(
            [sys.executable, "-m", "metrica.cli", "mqtt", "consume"],
            env=os.environ | env,
            stdout=log,
            stderr=log,
        )
        _wait(lambda: "subscribed" in (work / "consumer.log").read_text(), 60, "the consumer")
        common = {"url": url, "broker": broker, "box_id": box_id, "box_key": box_key}
        total = n_cameras * per_camera
        consumer_proc = psutil.Process(consumer.pid)
        cpu_before = sum(consumer_proc.cpu_times()[:2])
        steady = run_stream(
            **common, camera_ids=camera_ids, per_camera=per_camera, offset=0, restarts=0,
            work=work, expected_total=total,
        )  # fmt: skip
        consumer_ms = 1e6 * (sum(consumer_proc.cpu_times()[:2]) - cpu_before) / steady["events"]
        publisher_ms = 1e6 * steady["publisher_cpu_s"] / steady["events"]
        print(
            f"steady: {steady['events']} events in {steady['seconds']:.2f} s = "
            f"{steady['events'] / steady['seconds']:,.0f} events/s; CPU per 1000 events: "
            f"consumer {consumer_ms:.1f} ms, publishers and broker client {publisher_ms:.1f} ms"
        )
        restarted = run_stream(
            **common, camera_ids=camera_ids, per_camera=per_camera, offset=per_camera,
            restarts=restarts, work=work, expected_total=2 * total,
        )  # fmt: skip
        print(
            f"with {restarts} broker restarts: {restarted['events']} events in "
            f"{restarted['seconds']:.2f} s = {restarted['events'] / restarted['seconds']:,.0f}"
            " events/s"
        )
        rows, distinct = asyncio.run(stored(url))
        published = 2 * total
        result = {
            "events_published": published,
            "events_stored": distinct,
            "lost": published - distinct,
            "duplicates": rows - distinct,
            "broker_restarts": broker.restarts,
            "events_per_s": round(steady["events"] / steady["seconds"]),
            "events_per_s_with_restarts": round(restarted["events"] / restarted["seconds"]),
            "consumer_cpu_ms_per_1000": round(consumer_ms, 1),
            "load_average": round(os.getloadavg()[0], 1),
        }
        print(json.dumps(result))
        return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1
    finally:
        if consumer is not None:
            consumer.send_signal(signal.SIGTERM)
            consumer.wait(30)
        if broker is not None:
            broker.stop()
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
