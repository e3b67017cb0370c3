"""The MQTT topic layout and broker URL rule, table-tested (pure, no broker)."""

from __future__ import annotations

import uuid

import pytest

from metrica.domain.mqtt import (
    BrokerAddress,
    BrokerUrlError,
    TopicRef,
    box_topic,
    broker_address,
    events_topic,
    parse_topic,
)

BOX = uuid.UUID("0b7e3c3e-4d6b-4c1d-9d2e-3c1a2b3c4d5e")
CAM = uuid.UUID("11111111-2222-4333-8444-555555555555")


def test_topics_round_trip() -> None:
    assert parse_topic(events_topic(BOX, CAM)) == TopicRef("events", BOX, CAM)
    for kind in ("heartbeat", "config", "commands"):
        assert parse_topic(box_topic(BOX, kind)) == TopicRef(kind, BOX)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "metrica/v1/boxes",
        f"metrica/v2/boxes/{BOX}/heartbeat",
        f"metrica/v1/boxes/{str(BOX).upper()}/heartbeat",  # one spelling per box
        f"metrica/v1/boxes/{BOX.hex}/heartbeat",
        f"metrica/v1/boxes/{BOX}/cameras/{CAM}",
        f"metrica/v1/boxes/{BOX}/cameras/nope/events",
        f"metrica/v1/boxes/{BOX}/cameras/{CAM}/events/extra",
        f"metrica/v1/boxes/{BOX}/whatever",
        f"metrica/v1/boxes/{BOX}/heartbeat\x00",
        "metrica/v1/boxes/" + "a" * 300,
    ],
)
def test_anything_off_the_layout_is_refused(topic: str) -> None:
    assert parse_topic(topic) is None


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://127.0.0.1", BrokerAddress("127.0.0.1", 1883, False)),
        ("mqtt://broker.example.com:11883/", BrokerAddress("broker.example.com", 11883, False)),
        ("mqtts://broker.example.com", BrokerAddress("broker.example.com", 8883, True)),
        ("mqtt://[::1]:1884", BrokerAddress("::1", 1884, False)),
    ],
)
def test_broker_urls(url: str, address: BrokerAddress) -> None:
    assert broker_address(url) == address


@pytest.mark.parametrize(
    "url",
    ["", "http://h", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://h/x", "mqtt://h:1 x"],
)
def test_bad_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(BrokerUrlError):
        broker_address(url)


def test_a_password_in_the_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(BrokerUrlError) as refused:
        broker_address("mqtt://box:s3cret@h:1883")
    assert "s3cret" not in str(refused.value)
