"""The backend's MQTT consumer: box events and heartbeats in, retained box configs out.

paho-mqtt runs the connection on its own thread (MQTT 5, a fixed client id,
`clean_start=False`, a week of session expiry, at most `RECEIVE_MAXIMUM` messages in
flight); each message is handed to the event loop and acknowledged (PUBACK, paho's manual
ack) only after `handlers.handle` committed it, so a consumer that dies or a database that
fails loses nothing: the broker re-delivers every unacknowledged message when the session
resumes, and `ingest_batch`'s idempotency stores each event once. A message of an earlier
connection is never acknowledged on a newer one (its packet id may have been reused).

Every `mqtt_config_push_s` the config of each box is computed as `GET /fleet/box/config`
serves it and, when its version differs from the last one published on this connection
(a broker that lost retained messages gets them all again), published retained on
`metrica/v1/boxes/{box}/config`; a revoked box gets a retained `revoked` command and
its config cleared.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.domain.backoff import backoff_delay_s
from metrica.domain.mqtt import (
    EVENTS_FILTER,
    HEARTBEAT_FILTER,
    BoxCommand,
    box_topic,
    broker_address,
)
from metrica.server.db import utcnow
from metrica.server.fleet import service as fleet
from metrica.server.fleet.models import Box
from metrica.server.fleet.secrets import SecretBox
from metrica.server.mqtt import handlers
from metrica.server.ops.metrics import (
    MQTT_CONFIGS_PUSHED,
    MQTT_CONNECTED,
    MQTT_HANDLE_SECONDS,
    MQTT_MESSAGES,
    MQTT_RETRIES,
)
from metrica.server.settings import Settings

log = logging.getLogger("metrica.mqtt")

SESSION_EXPIRY_S = 7 * 86400
RECEIVE_MAXIMUM = 100
# Messages handled at once on PostgreSQL (each one a transaction; ingest is safe for
# concurrent batches); SQLite has one writer, so one. PUBACKs still go back in the order
# the messages came (as MQTT asks): a message is acknowledged once it and every earlier
# one of the same connection are done.
HANDLERS_PG = 4


@dataclass
class ConsumerStats:
    """What this consumer did (tests and the bench read it)."""

    handled: int = 0
    retries: int = 0
    pushed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class MqttConsumer:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        secret_box: SecretBox,
        clock: Callable[[], datetime],
        handlers: int = 1,
    ) -> None:
        if settings.mqtt_url is None:
            raise ValueError("no mqtt_url configured")
        self.settings = settings
        self._address = broker_address(settings.mqtt_url)
        self._sessions = sessions
        self._secret_box = secret_box
        self._clock = clock
        self._generation = 0
        self._handlers = handlers
        self._ack_generation = -1  # the connection the sequence numbers below belong to
        self._next_seq = 0
        self._next_ack = 0
        self._done: dict[int, mqtt.MQTTMessage] = {}
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._queue: asyncio.Queue[tuple[int, int, mqtt.MQTTMessage]] = asyncio.Queue()
        self._pushed: dict[uuid.UUID, str] = {}
        self.stats = ConsumerStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.mqtt_client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        client.username_pw_set(settings.mqtt_username, password)
        client.reconnect_delay_set(1, 10)
        if self._address.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client

    def stop(self) -> None:
        """Finish the message in hand, then disconnect (`run` returns); whatever was not
        acknowledged is re-delivered to the next session."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume and push configs until `stop` (or cancelled)."""
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self._client.connect_async(
            self._address.host,
            self._address.port,
            keepalive=30,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()
        handlers_ = [asyncio.create_task(self._handle_loop()) for _ in range(self._handlers)]
        pusher = asyncio.create_task(self._push_loop())
        try:
            await asyncio.gather(*handlers_)
        finally:
            for task in [*handlers_, pusher]:
                task.cancel()
            await asyncio.gather(*handlers_, pusher, return_exceptions=True)
            self._client.disconnect()
            await asyncio.to_thread(self._client.loop_stop)
            MQTT_CONNECTED.set(0)

    async def wait_connected(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        return self._connected.is_set()

    # paho's thread

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("the MQTT broker refused the consumer: %s", reason)
            return
        client.subscribe([(EVENTS_FILTER, 1), (HEARTBEAT_FILTER, 1)])
        self._generation += 1
        MQTT_CONNECTED.set(1)
        log.info(
            "MQTT consumer connected to %s:%d (session %s)",
            self._address.host,
            self._address.port,
            "resumed" if flags.session_present else "new",
        )
        self._call(self._pushed.clear)  # publish every config again: a broker may have lost some
        self._call(self._connected.set)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("the MQTT broker refused the consumer's subscriptions: %s", refused)
        else:
            log.info("MQTT consumer subscribed to every box's events and heartbeats")

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        MQTT_CONNECTED.set(0)
        self._generation += 1  # nothing received before may be acknowledged now
        self._call(self._connected.clear)
        log.warning("MQTT consumer disconnected (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        generation = self._generation
        self._call(lambda: self._enqueue(generation, msg))

    def _call(self, fn: Callable[[], object]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self._loop.call_soon_threadsafe(fn)

    # the event loop

    def _enqueue(self, generation: int, msg: mqtt.MQTTMessage) -> None:
        """Number the message within its connection (on the event loop)."""
        if generation != self._ack_generation:
            self._ack_generation, self._next_seq, self._next_ack = generation, 0, 0
            self._done.clear()
        self._queue.put_nowait((generation, self._next_seq, msg))
        self._next_seq += 1

    def _finished(self, generation: int, seq: int, msg: mqtt.MQTTMessage) -> None:
        """Acknowledge, in arrival order, every message done so far of this connection."""
        if generation != self._generation or generation != self._ack_generation:
            return  # an earlier connection's: the broker sends it again
        self._done[seq] = msg
        while self._next_ack in self._done:
            done = self._done.pop(self._next_ack)
            if done.qos > 0:
                self._client.ack(done.mid, done.qos)
            self._next_ack += 1

    async def _handle_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                generation, seq, msg = await asyncio.wait_for(self._queue.get(), 0.5)
            except TimeoutError:
                continue  # look at `_stopping` again
            with MQTT_HANDLE_SECONDS.time():
                handled = await self._handle_with_retry(msg)
            if handled is None:
                return  # stopping while the database was away: left to the next session
            kind, outcome = handled
            MQTT_MESSAGES.labels(kind=kind, outcome=outcome).inc()
            self.stats.handled += 1
            self.stats.outcomes[outcome] = self.stats.outcomes.get(outcome, 0) + 1
            if outcome != "stored":
                log.warning("MQTT %s message on %s dropped: %s", kind, _where(msg.topic), outcome)
            self._finished(generation, seq, msg)

    async def _handle_with_retry(self, msg: mqtt.MQTTMessage) -> tuple[str, str] | None:
        """Handle until it worked: a database failure is retried with backoff (the message
        stays unacknowledged meanwhile); None when stopping first."""
        attempt = 0
        while not self._stopping.is_set():
            try:
                async with self._sessions() as session:
                    return await handlers.handle(
                        session=session,
                        topic=msg.topic,
                        payload=bytes(msg.payload),
                        now=self._clock(),
                        max_future_skew_s=self.settings.max_future_skew_s,
                    )
            except (SQLAlchemyError, OSError) as exc:
                MQTT_RETRIES.inc()
                self.stats.retries += 1
                delay_s = backoff_delay_s(attempt, u=random.random(), base_s=0.2, cap_s=10.0)
                attempt += 1
                log.warning("storing an MQTT message failed (%s); retrying", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), max(delay_s, 0.05))
        return None

    async def _push_loop(self) -> None:
        while True:
            if self._connected.is_set():
                try:
                    await self.push_configs()
                except (SQLAlchemyError, OSError) as exc:
                    log.warning("pushing box configs failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.settings.mqtt_config_push_s)

    async def push_configs(self) -> int:
        """Publish (retained) every box config that changed since last published; how many."""
        published = 0
        async with self._sessions() as session:
            for box in await session.scalars(select(Box).order_by(Box.enrolled_at, Box.id)):
                if box.revoked_at is not None:
                    version = "revoked"
                    if self._pushed.get(box.id) == version:
                        continue
                    revoked = BoxCommand(command="revoked").model_dump_json().encode()
                    ok = await self._publish(box_topic(box.id, "commands"), revoked)
                    ok = ok and await self._publish(box_topic(box.id, "config"), b"")
                else:
                    config = await fleet.box_config(
                        session=session, box=box, secret_box=self._secret_box
                    )
                    version = config.version
                    if self._pushed.get(box.id) == version:
                        continue
                    body = config.model_dump_json().encode()
                    ok = await self._publish(box_topic(box.id, "config"), body)
                if ok:
                    self._pushed[box.id] = version
                    published += 1
        MQTT_CONFIGS_PUSHED.inc(published)
        self.stats.pushed += published
        return published

    async def _publish(self, topic: str, payload: bytes, timeout_s: float = 10.0) -> bool:
        """Retained, QoS 1; True once the broker acknowledged it."""
        info = self._client.publish(topic, payload, qos=1, retain=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            with contextlib.suppress(RuntimeError, ValueError):
                if info.is_published():
                    return True
            await asyncio.sleep(0.01)
        return False


def _where(topic: str) -> str:
    """A topic for a log line, bounded."""
    return topic[:120]


@contextlib.asynccontextmanager
async def consumer_running(consumer: MqttConsumer | None) -> AsyncIterator[None]:
    """For the app's lifespan: run the consumer beside the requests, stop it after."""
    if consumer is None:
        yield
        return
    task = asyncio.create_task(consumer.run(), name="mqtt-consumer")
    try:
        yield
    finally:
        await stop_consumer(consumer, task)


async def stop_consumer(consumer: MqttConsumer, task: asyncio.Task[None]) -> None:
    """Let the message in hand finish (up to 15 s), then cancel."""
    consumer.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), 15)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def consumer_for(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> MqttConsumer:
    """The consumer of an app (or of `metrica mqtt consume`) with these settings."""
    configured = settings.fleet_secrets_keys
    secret_box = SecretBox.from_settings(
        configured.get_secret_value() if configured else None,
        settings.secret_key.get_secret_value(),
    )
    handlers = 1 if settings.database_url.startswith("sqlite") else HANDLERS_PG
    return MqttConsumer(settings, sessions, secret_box=secret_box, clock=utcnow, handlers=handlers)
