"""Nothing lost, nothing stored twice: a broker restarted mid-stream, a consumer killed
(-9) mid-stream, a box killed with a full outbox; exact counts in the database after.

The box side is the worker's real outbox and sender over MQTT (tests.support.mqtt_sender,
a process where it gets killed); the backend side is `metrica mqtt consume`; the broker is
a Mosquitto of the test's own with persistence on, stopped with SIGTERM as a service
manager does (it saves sessions and queued messages on the way out; docs/fleet.md says
what a kill -9 of the broker may lose)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.edge.box import outbox_depth
from metrica.edge.mqtt_link import MqttSettings
from metrica.edge.outbox import Outbox
from tests.support.mosquitto import Broker
from tests.support.mqtt_fleet import event_bodies, seed_box, stored_counts
from tests.support.mqtt_processes import SUBSCRIBED, Proc, admit, consumer, sender
from tests.support.mqtt_sender import sender as sender_in_process
from tests.support.processes import poll

N = 3000


@pytest.fixture
def ingest(db_url: str, broker: Broker, tmp_path: Path) -> Iterator[Proc]:
    proc = consumer(db_url, broker.url, tmp_path / "consumer.log").start()
    proc.wait_for_log(SUBSCRIBED)
    yield proc
    proc.stop()


def _rows_past(db_url: str, camera: str, n: int) -> bool:
    return stored_counts(db_url, camera).rows > n


def _exactly_once(db_url: str, camera: str, n: int) -> None:
    poll(lambda: stored_counts(db_url, camera).rows >= n, timeout_s=60, what=f"{n} rows")
    counts = stored_counts(db_url, camera)
    assert (counts.rows, counts.distinct_ids, counts.rollup) == (n, n, n)


def _fill(path: Path, camera: str, n: int, *, start: int = 0) -> None:
    outbox = Outbox(path)
    outbox.append(event_bodies(camera, n, start=start))
    outbox.close()


def test_broker_restarts_mid_stream(
    db_url: str, broker: Broker, ingest: Proc, tmp_path: Path
) -> None:
    box = seed_box(db_url)
    camera = box.camera_ids[0]
    admit(broker, db_url)
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append(event_bodies(camera, N))
    settings = MqttSettings(broker.url, box.box_id, box.box_key, timeout_s=2.0)
    shipper, uplink = sender_in_process(outbox, camera, settings, batch=25)
    shipper.start()
    shipper.flush(deadline_s=0)  # send without waiting between batches
    for past in (N // 5, N // 2):
        poll(lambda p=past: _rows_past(db_url, camera, p), timeout_s=60, what=f"> {past} rows")
        broker.restart()
    assert shipper.flush(deadline_s=90), ingest.tail()
    shipper.stop()
    uplink.close()
    outbox.close()
    assert broker.restarts == 2
    _exactly_once(db_url, camera, N)


def test_consumer_killed_mid_stream(
    db_url: str, broker: Broker, ingest: Proc, tmp_path: Path
) -> None:
    box = seed_box(db_url)
    camera = box.camera_ids[0]
    admit(broker, db_url)
    outbox = tmp_path / "outbox" / "c.db"
    half = N // 2
    _fill(outbox, camera, half)
    box_proc = sender(box, camera, outbox, broker.url, tmp_path / "b1.log")
    box_proc.env["BATCH"] = "25"
    box_proc.start()
    try:
        # Killed at the first stored rows of the first half (messages handled but not yet
        # acknowledged come again: stored once). A fast box may have stored that whole half
        # by then; the second half is sent only once the consumer is dead, so the restarted
        # one always has work, whatever the box's speed.
        poll(lambda: _rows_past(db_url, camera, 0), timeout_s=60, what="rows")
        ingest.kill()
        assert box_proc.wait(90) == 0, box_proc.tail()
    finally:
        box_proc.stop()
    _fill(outbox, camera, N - half, start=half)
    box_proc = sender(box, camera, outbox, broker.url, tmp_path / "b2.log")
    box_proc.env["BATCH"] = "25"
    box_proc.start()
    try:
        assert box_proc.wait(90) == 0, box_proc.tail()  # the broker queues the second half
    finally:
        box_proc.stop()
    assert stored_counts(db_url, camera).rows <= half
    ingest.start()
    _exactly_once(db_url, camera, N)


def test_box_killed_with_a_full_outbox(
    db_url: str, broker: Broker, ingest: Proc, tmp_path: Path
) -> None:
    box = seed_box(db_url)
    camera = box.camera_ids[0]
    admit(broker, db_url)
    outbox_dir = tmp_path / "outbox"
    n = 1000
    _fill(outbox_dir / "c.db", camera, n)
    box_proc = sender(box, camera, outbox_dir / "c.db", broker.url, tmp_path / "b.log")
    box_proc.env["BATCH"] = "2"  # a PUBACK per two events: slow enough to be caught mid-way
    try:
        box_proc.start()
        poll(
            lambda: outbox_depth(outbox_dir) < n * 4 // 5,
            timeout_s=60,
            what="some sent",
            every_s=0.01,
        )
        box_proc.kill()
        left = outbox_depth(outbox_dir)
        assert 0 < left < n  # killed mid-way: the rest waits on disk
        box_proc.start()  # the box is back: it sends what is left (and re-sends in-flight)
        assert box_proc.wait(90) == 0, box_proc.tail()
        assert outbox_depth(outbox_dir) == 0
        _exactly_once(db_url, camera, n)
    finally:
        box_proc.stop()
