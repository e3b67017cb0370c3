"""The weekly report end to end on both databases: due on Monday 08:00 store time (across
DST), sent once to each owner through a real SMTP server (aiosmtpd) with the chart inline
and a CSV whose figures are the KPI API's, previewed in the app, and unsubscribed from by
its link without a sign-in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from metrica.server.app import create_app
from metrica.server.auth.models import User
from metrica.server.reports import tokens
from metrica.server.reports.runner import run_reports
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.conftest import TEST_SECRET, make_settings
from tests.server.factories import bearer, crossing, make_camera, make_store, make_user
from tests.support.db import empty_tables
from tests.support.mailbox import Mailbox, mailbox

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with mailbox() as box:
        yield box


@pytest.fixture
async def report_app(database_url: str, smtp: Mailbox) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        mail_from="reports@metrica.test",
        public_url="https://api.metrica.test",
        web_url="https://app.metrica.test",
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
    key: str
    camera_id: object

    async def run(self, now: datetime) -> int:
        s = self.state
        return await run_reports(sessions=s.sessions, mailer=s.mailer, settings=s.settings, now=now)


@pytest.fixture
async def world(report_app: FastAPI) -> AsyncIterator[World]:
    state: AppState = report_app.state.metrica
    owner = await make_user(state, "owner@example.com")
    store = await make_store(state, name="Kiez <Laden> & Co", owner=owner)
    camera, key = await make_camera(state, store)
    async with state.sessions() as session:  # the store has existed since January
        row = await session.get(Store, store.id)
        assert row is not None
        row.created_at = utc(2025, 1, 1)
        await session.commit()
    transport = httpx.ASGITransport(app=report_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        events = []
        # The week of Mon 24 Mar 2025, whose Sunday is 23 hours long (summer time).
        for d in range(7):
            for hour, n in ((9, d + 1), (17, 2)):
                at = berlin(2025, 3, 24 + d, hour, 15)
                events += [crossing(camera, "in", at + timedelta(seconds=i)) for i in range(n)]
                events += [crossing(camera, "out", at + timedelta(minutes=30)) for _ in range(n)]
        # The 02:00 hour that Sunday does not exist; 03:00 is the first after 01:00.
        events.append(crossing(camera, "in", berlin(2025, 3, 30, 3, 5)))
        # The week before: 10 visitors.
        events += [crossing(camera, "in", berlin(2025, 3, 18, 12, m)) for m in range(10)]
        r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
        assert r.status_code == 200, r.text
        yield World(state, client, owner, store, key, camera.id)


def _csv(message: EmailMessage) -> list[dict[str, str]]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "metrica-2025-03-24.csv"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return list(csv.DictReader(io.StringIO(payload.decode())))


async def test_the_report_is_due_monday_0800_store_time_across_dst(
    world: World, smtp: Mailbox
) -> None:
    # Mon 31 Mar 2025 08:00 in Berlin is 06:00 UTC (summer time began the day before).
    assert await world.run(utc(2025, 3, 31, 5, 59)) == 1  # the week of 17 Mar is still due
    assert smtp.messages()[0]["Subject"].endswith("Mon 17 Mar – Sun 23 Mar 2025")
    assert await world.run(utc(2025, 3, 31, 5, 59, 59)) == 0  # sent once
    assert await world.run(utc(2025, 3, 31, 6, 0)) == 1
    assert await world.run(utc(2025, 4, 1, 12, 0)) == 0
    subject = smtp.messages()[1]["Subject"]
    assert subject == "Metrica weekly report: Kiez <Laden> & Co, Mon 24 Mar – Sun 30 Mar 2025"


async def test_the_email_carries_the_chart_inline_and_the_kpi_figures_as_csv(
    world: World, smtp: Mailbox
) -> None:
    assert await world.run(utc(2025, 3, 31, 6, 0)) == 1
    [message] = smtp.messages()
    assert message["From"] == "reports@metrica.test"
    assert message["To"] == "owner@example.com"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://api.metrica.test/reports/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    assert 'src="cid:weekly-chart@metrica"' in html
    assert "Kiez &lt;Laden&gt; &amp; Co" in html
    assert "<Laden>" not in html
    assert "43 visitors" in html  # 1+2+...+7 at 09:15, 2 a day at 17:15, 1 at 03:05
    related = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in related] == ["<weekly-chart@metrica>"]
    png = related[0].get_payload(decode=True)
    assert isinstance(png, bytes)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 480)
    text_part = message.get_body(preferencelist=("plain",))
    assert text_part is not None
    assert "Visitors (IN): 43, +330.0 % against the week before (10)" in str(
        text_part.get_content()
    )

    rows = _csv(message)
    headers = bearer(world.state, world.owner)
    week = (
        await world.client.get(
            f"/dashboard/{world.store.id}?period=week&date=2025-03-24", headers=headers
        )
    ).json()
    assert week["footfall_in"] == 43
    daily = [r for r in rows if r["hour"] == ""]
    assert [(r["date"], int(r["footfall_in"]), int(r["footfall_out"])) for r in daily] == [
        (p["start"][:10], p["footfall_in"], p["footfall_out"]) for p in week["series"]
    ]
    hourly = [r for r in rows if r["hour"] != ""]
    assert len(hourly) == 7 * 24 - 1  # the short Sunday
    for d in range(7):
        day = date(2025, 3, 24) + timedelta(days=d)
        dash = (
            await world.client.get(
                f"/dashboard/{world.store.id}?period=day&date={day}", headers=headers
            )
        ).json()
        mine = [
            (r["hour"], int(r["footfall_in"]), int(r["footfall_out"]))
            for r in hourly
            if r["date"] == day.isoformat()
        ]
        assert mine == [(p["label"], p["footfall_in"], p["footfall_out"]) for p in dash["series"]]
    sunday = [r["hour"] for r in hourly if r["date"] == "2025-03-30"]
    assert "02:00" not in sunday
    assert sunday[2] == "03:00"
    assert (
        next(r for r in hourly if r["date"] == "2025-03-30" and r["hour"] == "03:00")["footfall_in"]
        == "1"
    )


async def test_unsubscribe_by_link_without_signing_in(world: World, smtp: Mailbox) -> None:
    assert await world.run(utc(2025, 3, 31, 6, 0)) == 1
    link = smtp.messages()[0]["List-Unsubscribe"].strip("<>")
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert tokens.read(TEST_SECRET, token) == world.owner.id

    page = await world.client.get("/reports/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert re.search(r"<form method='post'", page.text)
    headers = bearer(world.state, world.owner)
    prefs = await world.client.get("/reports/preferences", headers=headers)
    assert prefs.json() == {"weekly_enabled": True}  # a GET (a mail scanner) changes nothing

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "x", tokens.make("another-secret", world.owner.id), "\u202e.x"):
        r = await world.client.post("/reports/unsubscribe", params={"token": bad})
        assert r.status_code == 404, bad
    r = await world.client.post(
        "/reports/unsubscribe", params={"token": token}, content=b"List-Unsubscribe=One-Click"
    )
    assert r.status_code == 200
    assert "Unsubscribed" in r.text
    prefs = await world.client.get("/reports/preferences", headers=headers)
    assert prefs.json() == {"weekly_enabled": False}
    assert await world.run(utc(2025, 4, 7, 6, 0)) == 0  # the next Monday: nothing
    r = await world.client.put(
        "/reports/preferences", json={"weekly_enabled": True}, headers=headers
    )
    assert r.json() == {"weekly_enabled": True}
    assert await world.run(utc(2025, 4, 7, 6, 0)) == 1


async def test_each_owner_gets_one_report_per_store(world: World, smtp: Mailbox) -> None:
    second = await make_user(world.state, "partner@example.com")
    await make_user(world.state, "admin@example.com", role="superadmin")
    async with world.state.sessions() as session:
        from metrica.server.stores import service as stores

        await stores.add_owner(session=session, store_id=world.store.id, user_id=second.id)
        await session.commit()
    await make_store(world.state, name="Opened after that week", owner=second)
    assert await world.run(utc(2025, 3, 31, 6, 0)) == 2
    assert sorted(m["To"] for m in smtp.messages()) == ["owner@example.com", "partner@example.com"]


async def test_the_preview_is_the_report_for_the_owner_only(world: World) -> None:
    headers = bearer(world.state, world.owner)
    world.state.clock = lambda: berlin(2025, 4, 2, 10, 0)  # "last week" is that of 24 Mar
    r = await world.client.get(f"/stores/{world.store.id}/reports/weekly", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "43 visitors" in r.text
    assert 'src="data:image/png;base64,' in r.text
    assert "Mon 24 Mar – Sun 30 Mar 2025" in r.text
    other = await world.client.get(
        f"/stores/{world.store.id}/reports/weekly?week=2025-03-18", headers=headers
    )
    assert "10 visitors" in other.text
    stranger = await make_user(world.state, "stranger@example.com")
    r = await world.client.get(
        f"/stores/{world.store.id}/reports/weekly", headers=bearer(world.state, stranger)
    )
    assert r.status_code == 404
    for bad in ("0001-01-01", "9999-12-31", "2025-02-30", "x"):
        r = await world.client.get(
            f"/stores/{world.store.id}/reports/weekly?week={bad}", headers=headers
        )
        assert r.status_code < 500, bad
