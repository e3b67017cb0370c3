"""Store alerts end to end on both databases: settings over HTTP (hostile input refused),
episodes evaluated at a pinned "now", and every notification delivered to a real SMTP
server (aiosmtpd) and a real local HTTP receiver, compared exactly."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from metrica.domain.alerts import sign
from metrica.server.alerts.runner import run_alerts
from metrica.server.app import create_app
from metrica.server.auth.models import User
from metrica.server.cameras.models import Camera
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.conftest import make_settings
from tests.server.factories import bearer, crossing, make_camera, make_store, make_user
from tests.support.db import empty_tables
from tests.support.mailbox import Mailbox, mailbox
from tests.support.processes import free_port
from tests.support.receiver import Receiver, receiver

BERLIN = ZoneInfo("Europe/Berlin")
# AUTH over plain SMTP on loopback is what the test wants: it checks the login happens.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def text_of(message: EmailMessage) -> str:
    """The text as the sender wrote it (SMTP carries CRLF line ends)."""
    return str(message.get_content()).replace("\r\n", "\n")


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with mailbox(username="metrica", password="smtp-pass-not-in-logs") as box:
        yield box


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as box:
        yield box


@pytest.fixture
async def alert_app(database_url: str, smtp: Mailbox) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_username="metrica",
        smtp_password="smtp-pass-not-in-logs",
        mail_from="alerts@metrica.test",
        web_url="https://app.metrica.test",
        alerts_webhook_allow_private=True,  # the receiver runs here, on 127.0.0.1
        alerts_webhook_backoff_s=0.0,
    )
    app = create_app(settings)
    await empty_tables(app.state.metrica.engine)
    yield app
    await app.state.metrica.engine.dispose()


@dataclass
class World:
    state: AppState
    client: httpx.AsyncClient
    owner: User
    store: Store
    camera: Camera
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.state, self.owner)

    async def post_events(self, events: list[dict[str, object]]) -> None:
        r = await self.client.post(
            "/events", json={"events": events}, headers={"X-Worker-Key": self.key}
        )
        assert r.status_code == 200, r.text

    async def settings(self, **body: object) -> httpx.Response:
        return await self.client.put(
            f"/stores/{self.store.id}/alerts/settings", json=body, headers=self.headers
        )

    async def run(self, now: datetime) -> int | None:
        s = self.state
        return await run_alerts(
            engine=s.engine, sessions=s.sessions, mailer=s.mailer, settings=s.settings, now=now
        )

    async def log(self) -> list[dict[str, object]]:
        r = await self.client.get(f"/stores/{self.store.id}/alerts/log", headers=self.headers)
        assert r.status_code == 200, r.text
        data: list[dict[str, object]] = r.json()["data"]
        return data


@pytest.fixture
async def world(alert_app: FastAPI) -> AsyncIterator[World]:
    state: AppState = alert_app.state.metrica
    owner = await make_user(state, "owner@example.com")
    store = await make_store(state, name="Corner Shop", owner=owner)
    camera, key = await make_camera(state, store)
    transport = httpx.ASGITransport(app=alert_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield World(state, client, owner, store, camera, key)


async def test_settings_default_off_and_round_trip(world: World) -> None:
    r = await world.client.get(f"/stores/{world.store.id}/alerts/settings", headers=world.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["capacity_enabled"] is body["camera_down_enabled"] is body["low_count_enabled"]
    assert body["capacity_enabled"] is False
    assert body["owner_emails"] == ["owner@example.com"]
    assert body["webhook_secret"] == ""
    r = await world.settings(
        capacity_enabled=True,
        capacity_limit=40,
        emails=["a@example.com", "A@example.com", "b@example.com"],
        webhook_url="https://hooks.example.com/metrica",
    )
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["emails"] == ["a@example.com", "b@example.com"]  # de-duplicated, no case
    assert saved["capacity_limit"] == 40
    assert len(saved["webhook_secret"]) >= 40
    r = await world.client.post(
        f"/stores/{world.store.id}/alerts/settings/secret", headers=world.headers
    )
    assert r.status_code == 200
    assert r.json()["webhook_secret"] not in ("", saved["webhook_secret"])


@pytest.mark.parametrize(
    "body",
    [
        {"webhook_url": "javascript:alert(1)"},
        {"webhook_url": "file:///etc/passwd"},
        {"webhook_url": "ftp://example.com/x"},
        {"webhook_url": "https://" + "a" * 2100 + ".com"},
        {"emails": ["a@example.com, b@example.com"]},
        {"emails": ["a@example.com\r\nBcc: x@example.com"]},
        {"emails": ["Owner <a@example.com>"]},
        {"emails": [f"u{i}@example.com" for i in range(11)]},
        {"capacity_enabled": True},  # no limit
        {"capacity_enabled": True, "capacity_limit": 0},
        {"capacity_enabled": True, "capacity_limit": 2**63},
        {"capacity_limit": float("nan")},
        {"surprise": 1},
    ],
)
async def test_hostile_settings_are_refused(world: World, body: dict[str, object]) -> None:
    r = await world.client.put(
        f"/stores/{world.store.id}/alerts/settings",
        content=json.dumps(body, allow_nan=True),
        headers=world.headers | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text


async def test_another_owners_store_is_not_found(world: World) -> None:
    stranger = await make_user(world.state, "stranger@example.com")
    headers = bearer(world.state, stranger)
    for method, path in [
        ("GET", "/alerts/settings"),
        ("PUT", "/alerts/settings"),
        ("POST", "/alerts/settings/secret"),
        ("POST", "/alerts/test"),
        ("GET", "/alerts/log"),
    ]:
        kwargs = {"json": {}} if method == "PUT" else {}
        r = await world.client.request(
            method, f"/stores/{world.store.id}{path}", headers=headers, **kwargs
        )
        assert r.status_code == 404, (method, path)


async def test_capacity_raises_once_and_resolves_by_email_and_signed_webhook(
    world: World, smtp: Mailbox, hook: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = await world.settings(
        capacity_enabled=True,
        capacity_limit=2,
        emails=["door@example.com", "boss@example.com"],
        webhook_url=hook.url,
    )
    secret = r.json()["webhook_secret"]
    now = berlin(2025, 3, 17, 11, 0)
    await world.post_events(
        [crossing(world.camera, "in", now - timedelta(minutes=m)) for m in (30, 20, 10)]
    )
    assert await world.run(now) == 1
    assert await world.run(now + timedelta(minutes=1)) == 0  # still over: no second notice

    [episode] = await world.log()
    assert episode["kind"] == "capacity"
    assert episode["message"] == "3 people inside, above the limit of 2."
    assert (episode["value"], episode["threshold"], episode["resolved_at"]) == (3, 2, None)
    assert (episode["raised_email_ok"], episode["raised_webhook_ok"]) == (True, True)
    [raised] = hook.received()
    expected = {
        "type": "alert.raised",
        "alert_id": episode["id"],
        "store_id": str(world.store.id),
        "store_name": "Corner Shop",
        "kind": "capacity",
        "subject": "",
        "message": "3 people inside, above the limit of 2.",
        "value": 3,
        "threshold": 2,
        "started_at": "2025-03-17T10:00:00+00:00",
        "resolved_at": None,
        "at": "2025-03-17T10:00:00+00:00",
    }
    assert json.loads(raised.body) == expected
    assert raised.headers["x-metrica-signature"] == sign(secret, raised.body)
    assert raised.headers["x-metrica-event"] == "alert.raised"
    assert raised.headers["content-type"] == "application/json"
    assert [m["To"] for m in smtp.messages()] == ["door@example.com", "boss@example.com"]
    first = smtp.messages()[0]
    assert first["From"] == "alerts@metrica.test"
    assert first["Subject"] == "[Metrica] Corner Shop: over capacity"
    assert text_of(first) == (
        "3 people inside, above the limit of 2.\n\n"
        "Since Mon 17 Mar 2025 11:00 (Europe/Berlin).\n\n"
        f"Alert settings and log: https://app.metrica.test/stores/{world.store.id}/alerts\n"
    )
    assert smtp.logins == ["metrica", "metrica"]

    later = now + timedelta(minutes=5)
    await world.post_events([crossing(world.camera, "out", later - timedelta(minutes=1))])
    assert await world.run(later) == 0  # 2 inside: at the limit, the episode stays open
    await world.post_events([crossing(world.camera, "out", later + timedelta(seconds=30))])
    assert await world.run(later + timedelta(minutes=1)) == 1
    [episode] = await world.log()
    assert episode["resolved_at"] == "2025-03-17T10:06:00Z"
    assert (episode["resolved_email_ok"], episode["resolved_webhook_ok"]) == (True, True)
    resolved = json.loads(hook.received()[1].body)
    assert resolved == expected | {
        "type": "alert.resolved",
        "value": 1,
        "resolved_at": "2025-03-17T10:06:00+00:00",
        "at": "2025-03-17T10:06:00+00:00",
    }
    last = smtp.messages()[-1]
    assert last["Subject"] == "[Metrica] Corner Shop: resolved, over capacity"
    assert text_of(last).startswith(
        "Resolved at Mon 17 Mar 2025 11:06 (Europe/Berlin): 3 people inside"
    )
    assert len(smtp.messages()) == 4
    assert "smtp-pass-not-in-logs" not in caplog.text


async def test_webhook_retries_with_backoff_and_gives_up_on_a_refusal(
    world: World, smtp: Mailbox
) -> None:
    with receiver(statuses=[503, 502]) as flaky, receiver(statuses=[400]) as refusing:
        waits: list[float] = []

        async def sleep(s: float) -> None:
            waits.append(s)

        object.__setattr__(world.state.settings, "alerts_webhook_backoff_s", 0.5)
        r = await world.settings(capacity_enabled=True, capacity_limit=1, webhook_url=flaky.url)
        assert r.status_code == 200
        now = berlin(2025, 3, 17, 11, 0)
        await world.post_events(
            [crossing(world.camera, "in", now - timedelta(minutes=m)) for m in (5, 6)]
        )
        s = world.state
        await run_alerts(
            engine=s.engine,
            sessions=s.sessions,
            mailer=s.mailer,
            settings=s.settings,
            now=now,
            sleep=sleep,
        )
        assert len(flaky.received()) == 3
        assert waits == [0.5, 1.0]
        assert (await world.log())[0]["raised_webhook_ok"] is True

        await world.settings(capacity_enabled=True, capacity_limit=1, webhook_url=refusing.url)
        await world.post_events(
            [crossing(world.camera, "out", now + timedelta(seconds=s)) for s in (10, 20)]
        )
        await run_alerts(
            engine=s.engine,
            sessions=s.sessions,
            mailer=s.mailer,
            settings=s.settings,
            now=now + timedelta(minutes=2),
            sleep=sleep,
        )
        assert len(refusing.received()) == 1  # a 400 is final
        assert (await world.log())[0]["resolved_webhook_ok"] is False
        # The owner's address gets the email when no recipients are set.
        assert {m["To"] for m in smtp.messages()} == {"owner@example.com"}


async def test_a_webhook_into_the_lan_is_refused_unless_allowed(
    world: World, hook: Receiver
) -> None:
    object.__setattr__(world.state.settings, "alerts_webhook_allow_private", False)
    await world.settings(capacity_enabled=True, capacity_limit=1, webhook_url=hook.url)
    now = berlin(2025, 3, 17, 11, 0)
    await world.post_events(
        [crossing(world.camera, "in", now - timedelta(minutes=m)) for m in (5, 6)]
    )
    assert await world.run(now) == 1
    assert hook.received() == []
    assert (await world.log())[0]["raised_webhook_ok"] is False


async def test_camera_down_per_camera_and_back_up(world: World, smtp: Mailbox) -> None:
    await world.settings(camera_down_enabled=True)
    now = berlin(2025, 3, 17, 11, 0)
    async with world.state.sessions() as session:
        camera = await session.get(Camera, world.camera.id)
        assert camera is not None
        camera.last_event_at = now - timedelta(minutes=20)  # stale_after_s is 15 min
        spare = Camera(store_id=world.store.id, name="Back door", is_counting_line=False)
        spare.last_event_at = now + timedelta(minutes=19)  # heard from all along
        off = Camera(store_id=world.store.id, name="Unplugged on purpose", status="disabled")
        session.add_all([spare, off])
        await session.commit()
    assert await world.run(now) == 1
    [episode] = await world.log()
    assert episode["kind"] == "camera_down"
    assert episode["subject"] == str(world.camera.id)
    assert episode["message"] == "Camera 'Entrance' has not been heard from for over 15 minutes."
    assert smtp.messages()[0]["Subject"] == "[Metrica] Corner Shop: camera down"
    async with world.state.sessions() as session:
        camera = await session.get(Camera, world.camera.id)
        assert camera is not None
        camera.last_event_at = now + timedelta(minutes=9)
        await session.commit()
    assert await world.run(now + timedelta(minutes=10)) == 1
    [episode] = await world.log()
    assert episode["resolved_at"] is not None
    # Turning the alert off closes what is open without a notification.
    async with world.state.sessions() as session:
        camera = await session.get(Camera, world.camera.id)
        assert camera is not None
        camera.last_event_at = None
        await session.commit()
    assert await world.run(now + timedelta(minutes=20)) == 1
    await world.settings(camera_down_enabled=False)
    assert await world.run(now + timedelta(minutes=21)) == 0
    assert [e["resolved_at"] is not None for e in await world.log()] == [True, True]


async def test_low_count_against_the_median_of_the_last_four_same_weekdays(
    world: World, smtp: Mailbox
) -> None:
    await world.settings(low_count_enabled=True)
    now = berlin(2025, 3, 17, 12, 0)  # a Monday
    events = []
    for weeks, n in ((1, 40), (2, 50), (3, 60), (4, 500)):  # median 55
        day = now - timedelta(weeks=weeks)
        events += [crossing(world.camera, "in", day - timedelta(minutes=1 + i)) for i in range(n)]
        # Later that day: not like for like, must not count.
        events += [crossing(world.camera, "in", day + timedelta(hours=2)) for _ in range(50)]
    events += [crossing(world.camera, "in", now - timedelta(minutes=30 + i)) for i in range(16)]
    await world.post_events(events)
    assert await world.run(now) == 1
    [episode] = await world.log()
    assert episode["kind"] == "low_count"
    assert (episode["value"], episode["threshold"]) == (16, 17)  # under 30 % of 55
    assert episode["message"] == (
        "16 visitors so far today; usually 55 by this time (median of the last 4 same "
        "weekdays). Is a camera blocked or moved?"
    )
    assert smtp.messages()[0]["Subject"] == "[Metrica] Corner Shop: count far below usual"
    await world.post_events(
        [crossing(world.camera, "in", now + timedelta(seconds=i)) for i in range(2)]
    )
    assert await world.run(now + timedelta(minutes=1)) == 1  # 18 of 55: back above 30 %
    assert (await world.log())[0]["resolved_at"] is not None


async def test_a_test_alert_goes_out_now_on_every_channel_once_a_minute(
    world: World, smtp: Mailbox, hook: Receiver
) -> None:
    now = berlin(2025, 3, 17, 11, 0)
    world.state.clock = lambda: now
    r = await world.settings(emails=["door@example.com", "boss@example.com"], webhook_url=hook.url)
    secret = r.json()["webhook_secret"]
    test_url = f"/stores/{world.store.id}/alerts/test"
    r = await world.client.post(test_url, headers=world.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "sent_at": "2025-03-17T10:00:00Z",
        "recipients": ["door@example.com", "boss@example.com"],
        "email": {"status": "sent", "detail": "sent to 2 of 2"},
        "webhook": {"status": "sent", "detail": "the receiver answered 2xx"},
    }
    assert [m["Subject"] for m in smtp.messages()] == ["[Metrica] Corner Shop: test alert"] * 2
    assert "sent by owner@example.com at Mon 17 Mar 2025 11:00" in text_of(smtp.messages()[0])
    [posted] = hook.received()
    assert json.loads(posted.body)["type"] == "alert.test"
    assert posted.headers["x-metrica-signature"] == sign(secret, posted.body)
    assert posted.headers["x-metrica-event"] == "alert.test"
    # Not a spam cannon: the store's next test waits a minute; nothing more was sent.
    r = await world.client.post(test_url, headers=world.headers)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert (len(smtp.messages()), len(hook.received())) == (2, 1)
    # A superadmin sees the store but is not one of its owners.
    admin = await make_user(world.state, "root@example.com", role="superadmin")
    r = await world.client.post(test_url, headers=bearer(world.state, admin))
    assert r.status_code == 403


async def test_a_failed_test_alert_says_why_and_echoes_no_secret(
    world: World, smtp: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what production logs (DEBUG shows SQL parameters)
    # The mail server is gone (its port closed) and the receiver answers 500.
    object.__setattr__(world.state.settings, "smtp_port", free_port())
    object.__setattr__(world.state.settings, "smtp_password", SecretStr("smtp-pass-2"))
    with receiver(statuses=[500]) as failing:
        url = f"{failing.url}?token=hook-token-in-url"
        await world.settings(webhook_url=url)  # no addresses: the owners get the email
        r = await world.client.post(f"/stores/{world.store.id}/alerts/test", headers=world.headers)
        assert len(failing.received()) == 1  # one try: the owner is waiting for the answer
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["recipients"] == ["owner@example.com"]
    assert body["email"] == {
        "status": "failed",
        "detail": "sent to 0 of 1: could not reach the mail server",
    }
    assert body["webhook"] == {"status": "failed", "detail": "answered HTTP 500"}
    for secret in ("smtp-pass-2", "hook-token-in-url", str(world.state.settings.smtp_port)):
        assert secret not in r.text
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("metrica"))
    assert "test alert: email failed, webhook failed" in ours
    assert "smtp-pass-2" not in ours
    assert "hook-token-in-url" not in ours
    assert smtp.messages() == []


async def test_log_limit_is_bounded(world: World) -> None:
    for limit in ("0", "201", "NaN", str(2**64)):
        r = await world.client.get(
            f"/stores/{world.store.id}/alerts/log?limit={limit}", headers=world.headers
        )
        assert r.status_code == 422, limit


async def test_alerts_run_on_the_server_clock_in_the_periodic_tasks(
    world: World, smtp: Mailbox
) -> None:
    """The scheduled round reads "now" from the app's clock (pinned here) and notifies."""
    from metrica.server.alerts.schedule import schedule_alerts
    from metrica.server.periodic import PeriodicTasks
    from metrica.server.reports.schedule import schedule_reports

    now = berlin(2025, 3, 17, 11, 0)
    world.state.clock = lambda: now
    await world.settings(capacity_enabled=True, capacity_limit=1)
    await world.post_events(
        [crossing(world.camera, "in", now - timedelta(minutes=m)) for m in (5, 6)]
    )
    tasks = PeriodicTasks()
    schedule_alerts(tasks, world.state, delay_s=0.0)
    schedule_reports(tasks, world.state, delay_s=0.0)
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while tasks.rounds["alerts"] < 1 or tasks.rounds["reports"] < 1:
            assert asyncio.get_running_loop().time() < deadline, "no alerts round"
            await asyncio.sleep(0.05)
    finally:
        await tasks.stop()
    [episode] = await world.log()
    assert episode["started_at"] == "2025-03-17T10:00:00Z"
    assert [m["Subject"] for m in smtp.messages()] == ["[Metrica] Corner Shop: over capacity"]
    off = PeriodicTasks()
    object.__setattr__(world.state.settings, "alerts_enabled", False)
    object.__setattr__(world.state.settings, "reports_enabled", False)
    schedule_alerts(off, world.state)
    schedule_reports(off, world.state)
    assert off.rounds == {}
