"""The box's MQTT connection (paho-mqtt 2, MQTT 5): events, heartbeats, config, commands.

One client per process with a fixed client id (the box's, or the box's and a camera's),
`clean_start=False` and a week of session expiry: the broker keeps the session (its
subscriptions, and QoS 1 messages for it) across disconnects and broker restarts with
persistence on. A publish counts as delivered only on the broker's PUBACK; paho's network
thread reconnects by itself and re-sends whatever was in flight. The broker username is
the box id and the password the box key (`metrica mqtt acl` writes the broker's files).

`MqttEventUplink.post_events` has `Uplink.post_events`'s shape, so the worker's `Shipper`
(and its outbox: rows leave only on `Acked`) is the same for both transports.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from metrica.domain.mqtt import broker_address, events_topic
from metrica.edge.uplink import Acked, Retry, SendOutcome

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 86400
MAX_QUEUED = 1000  # messages paho may hold while the broker is away (a backstop)


@dataclass(frozen=True)
class MqttSettings:
    """Where and as whom: the broker URL, the box id (username) and the box key (password)."""

    url: str
    box_id: str
    password: str
    timeout_s: float = 10.0


class MqttLink:
    """A paho client on its own network thread; `publish` blocks until PUBACK or timeout."""

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        *,
        subscriptions: Sequence[str] = (),
        on_message: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self._address = broker_address(settings.url)
        self._subscriptions = tuple(subscriptions)
        self._on_message = on_message
        self._connected = threading.Event()
        self.refused_reason: str | None = None
        self._pending: dict[str, mqtt.MQTTMessageInfo] = {}
        self._refused_mids: set[int] = set()  # PUBACKs with a failure reason (ACL: 0x87)
        self._refused_lock = threading.Lock()  # paho calls back holding its own locks
        self._lock = threading.Lock()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.username_pw_set(settings.box_id, settings.password)
        client.max_queued_messages_set(MAX_QUEUED)
        client.reconnect_delay_set(1, 30)
        if self._address.tls:
            client.tls_set()
        client.on_connect = self._connected_cb
        client.on_disconnect = self._disconnected_cb
        client.on_message = self._message_cb
        client.on_publish = self._published_cb
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (and keep reconnecting) on paho's network thread."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client.connect_async(
            self._address.host,
            self._address.port,
            keepalive=30,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def publish(
        self, topic: str, payload: bytes, *, timeout_s: float | None = None, retain: bool = False
    ) -> str | None:
        """Publish with QoS 1; None once the broker acknowledged it, else why not (a bounded
        reason). The same payload again while its first copy is still in flight waits for
        that copy instead of queueing another."""
        if not self._connected.is_set():
            return "mqtt_down"
        key = hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()
        with self._lock:
            self._forget_published()
            info = self._pending.get(key)
            if info is None:
                info = self._client.publish(topic, payload, qos=1, retain=retain)
                if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                    return "mqtt_down"
                self._pending[key] = info
        with contextlib.suppress(RuntimeError, ValueError):  # paho re-sends after reconnecting
            info.wait_for_publish(self.settings.timeout_s if timeout_s is None else timeout_s)
        if _published(info):
            with self._lock:
                self._pending.pop(key, None)
            with self._refused_lock:
                refused = info.mid in self._refused_mids
                self._refused_mids.discard(info.mid)
            # The broker answered but did not take it (not authorised: the ACL or the
            # password file lags behind the fleet); keep the events, try again later.
            return "mqtt_refused" if refused else None
        return "mqtt_timeout" if self._connected.is_set() else "mqtt_down"

    def _forget_published(self) -> None:
        for key in [k for k, i in self._pending.items() if _published(i)]:
            del self._pending[key]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _connected_cb(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            if self.refused_reason != str(reason):
                log.error("the MQTT broker refused this box: %s", reason)
            self.refused_reason = str(reason)
            return
        self.refused_reason = None
        for topic in self._subscriptions:
            client.subscribe(topic, qos=1)
        self._connected.set()
        log.info(
            "MQTT connected to %s:%d (session %s)",
            self._address.host,
            self._address.port,
            "resumed" if flags.session_present else "new",
        )

    def _disconnected_cb(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason)
        self._connected.clear()

    def _published_cb(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            with self._refused_lock:
                self._refused_mids.add(mid)

    def _message_cb(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if self._on_message is not None:
            try:
                self._on_message(msg.topic, bytes(msg.payload))
            except Exception:  # never kill paho's network thread
                log.exception("MQTT message handler failed for %s", msg.topic)


def _published(info: mqtt.MQTTMessageInfo) -> bool:
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return False


class MqttEventUplink:
    """A camera's events over MQTT: one batch, one QoS 1 message, acked on PUBACK."""

    def __init__(self, settings: MqttSettings, camera_id: str, *, client_id: str) -> None:
        self._topic = events_topic(settings.box_id, camera_id)
        self.link = MqttLink(settings, client_id)
        self.link.start()

    def post_events(self, bodies: Sequence[str]) -> SendOutcome:
        """Like `Uplink.post_events`: the serialised events as one `{"events": [...]}`."""
        payload = ('{"events":[' + ",".join(bodies) + "]}").encode()
        reason = self.link.publish(self._topic, payload)
        if reason is None:
            return Acked(len(bodies), 0)
        detail = self.link.refused_reason or reason.replace("_", " ")
        return Retry(reason, detail)

    def close(self) -> None:
        self.link.close()
