"""Events from a box over a real Mosquitto into the database, through `metrica mqtt
consume`: exact counts, the same validation and idempotency as `POST /events`, and the
consumer's re-check that a box publishes only for its own cameras."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.domain.mqtt import client_id, events_topic
from metrica.edge.mqtt_link import MqttEventUplink, MqttLink, MqttSettings
from metrica.edge.outbox import Outbox
from metrica.edge.uplink import Acked
from tests.support.mosquitto import Broker
from tests.support.mqtt_fleet import SeededBox, event_bodies, seed_box, stored_counts
from tests.support.mqtt_processes import SUBSCRIBED, Proc, admit, consumer
from tests.support.mqtt_sender import sender
from tests.support.processes import poll


@pytest.fixture
def ingest(db_url: str, broker: Broker, tmp_path: Path) -> Iterator[Proc]:
    proc = consumer(db_url, broker.url, tmp_path / "consumer.log").start()
    proc.wait_for_log(SUBSCRIBED)
    yield proc
    proc.stop()


def _settings(broker: Broker, box: SeededBox) -> MqttSettings:
    return MqttSettings(broker.url, box.box_id, box.box_key, timeout_s=5.0)


def _batch(camera: str, n: int, start: int = 0) -> list[str]:
    return [body for _, body in event_bodies(camera, n, start=start)]


def test_events_reach_the_database_once_each(
    db_url: str, broker: Broker, ingest: Proc, tmp_path: Path
) -> None:
    box = seed_box(db_url)
    camera = box.camera_ids[0]
    admit(broker, db_url)
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.append(event_bodies(camera, 1200))
    shipper, uplink = sender(outbox, camera, _settings(broker, box))
    shipper.start()
    assert shipper.flush(deadline_s=60), ingest.tail()
    shipper.stop()
    assert outbox.depth == 0
    assert shipper.stats.sent == 1200
    # A box that lost its outbox's memory publishes 300 of them again, and one new event:
    # the duplicates add nothing, whenever they are handled.
    assert isinstance(uplink.post_events(_batch(camera, 300)), Acked)
    assert isinstance(uplink.post_events(_batch(camera, 1, start=5000)), Acked)
    uplink.close()
    outbox.close()
    poll(lambda: stored_counts(db_url, camera).rows == 1201, timeout_s=30, what="1201 rows")
    counts = stored_counts(db_url, camera)
    assert (counts.rows, counts.distinct_ids, counts.rollup) == (1201, 1201, 1201)


def test_a_box_publishes_only_for_its_own_cameras(
    db_url: str, broker: Broker, ingest: Proc
) -> None:
    mine, theirs = seed_box(db_url), seed_box(db_url)
    admit(broker, db_url)
    their_camera = theirs.camera_ids[0]
    # On its own topic, naming a camera of another box: the broker lets it through, the
    # consumer drops it (the camera is not this box's).
    link = MqttLink(_settings(broker, mine), client_id(mine.box_id))
    link.start()
    assert link.wait_connected(10)
    body = ('{"events":[' + ",".join(_batch(their_camera, 5)) + "]}").encode()
    assert link.publish(events_topic(mine.box_id, their_camera), body) is None
    # On the other box's topic: the broker's ACL refuses it (PUBACK "not authorised").
    assert link.publish(events_topic(theirs.box_id, their_camera), body) == "mqtt_refused"
    # Its own camera's events, with a camera id of another camera inside: refused whole.
    own_camera = mine.camera_ids[0]
    mixed = _batch(own_camera, 3) + _batch(their_camera, 1, start=50)
    payload = ('{"events":[' + ",".join(mixed) + "]}").encode()
    assert link.publish(events_topic(mine.box_id, own_camera), payload) is None
    # Then a good batch: everything before it was handled (one consumer session, in order
    # per publisher), so nothing else can arrive later.
    good = ('{"events":[' + ",".join(_batch(own_camera, 4, start=100)) + "]}").encode()
    assert link.publish(events_topic(mine.box_id, own_camera), good) is None
    link.close()
    poll(lambda: stored_counts(db_url, own_camera).rows == 4, timeout_s=30, what="4 rows")
    ingest.wait_for_log("dropped: foreign_camera")
    assert stored_counts(db_url, their_camera).rows == 0
    assert stored_counts(db_url, own_camera).rows == 4


def test_invalid_and_malformed_batches_are_dropped_the_rest_stored(
    db_url: str, broker: Broker, ingest: Proc
) -> None:
    box = seed_box(db_url)
    camera = box.camera_ids[0]
    admit(broker, db_url)
    uplink = MqttEventUplink(_settings(broker, box), camera, client_id=client_id(box.box_id))
    assert uplink.link.wait_connected(10)
    unknown_line = [b.replace('"line_id":"door"', '"line_id":"nope"') for b in _batch(camera, 2)]
    assert isinstance(uplink.post_events(unknown_line), Acked)  # the broker has it
    too_large = b'{"events":[]' + b" " * (1 << 20) + b"}"  # over the 1 MiB cap, under the broker's
    odd_payloads = (b"", b"\x00\xff", b'{"events":[{"type":"line_crossed"}]}', b"[" * 10_000)
    for odd in (*odd_payloads, too_large):
        assert uplink.link.publish(events_topic(box.box_id, camera), odd) is None
    assert isinstance(uplink.post_events(_batch(camera, 7, start=10)), Acked)
    uplink.close()
    poll(lambda: stored_counts(db_url, camera).rows == 7, timeout_s=30, what="7 rows")
    ingest.wait_for_log("dropped: invalid")
    ingest.wait_for_log("dropped: malformed")
    ingest.wait_for_log("dropped: too_large")
    assert stored_counts(db_url, camera).rows == 7
