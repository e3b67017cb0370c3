"""Every answer an owner's dashboard can give about a store's history, as JSON.

Retention and backup tests take this before and after and compare: the day view of every
day, the week and month views of every week and month, and live occupancy. A signed
superadmin token reads any store.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from metrica.server.auth import service as auth
from metrica.server.state import AppState


async def admin_headers(state: AppState, email: str) -> dict[str, str]:
    async with state.sessions() as session:
        user = await auth.by_email(session=session, email=email)
    assert user is not None, email
    token = state.signer.issue(
        subject=str(user.id), email=user.email, role=user.role, version=user.token_version
    )
    return {"Authorization": f"Bearer {token}"}


async def dashboard_answers(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    store_id: uuid.UUID,
    first: date,
    last: date,
) -> dict[str, Any]:
    """{request path: JSON} for every day/week/month view over [first, last], and live."""
    answers: dict[str, Any] = {}
    paths = [f"/live/{store_id}"]
    day = first
    while day <= last:
        paths.append(f"/dashboard/{store_id}?period=day&date={day}")
        if day.weekday() == 0 or day == first:
            paths.append(f"/dashboard/{store_id}?period=week&date={day}")
        if day.day == 1 or day == first:
            paths.append(f"/dashboard/{store_id}?period=month&date={day}")
        day += timedelta(days=1)
    for path in paths:
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text)
        answers[path] = r.json()
    return answers


async def answers_of_app(
    app: FastAPI, email: str, store_id: uuid.UUID, first: date, last: date
) -> dict[str, Any]:
    """`dashboard_answers` through a client of its own on `app` (no lifespan needed)."""
    state: AppState = app.state.metrica
    headers = await admin_headers(state, email)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await dashboard_answers(client, headers, store_id, first, last)
