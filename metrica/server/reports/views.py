"""Weekly report routes: the owner's preview and preference, and the public unsubscribe
link (a signed token instead of a sign-in; it can only turn the report off)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from html import escape
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse

from metrica.domain.alerts import week_monday
from metrica.domain.fields import BoundedDate
from metrica.server.auth.models import User
from metrica.server.deps import CurrentUser, SessionDep, State, VisibleStore
from metrica.server.reports import render, service, tokens
from metrica.server.reports.figures import week_figures
from metrica.server.reports.runner import app_url, unsubscribe_url
from metrica.server.reports.schemas import ReportPreferences

router = APIRouter(tags=["owner"])
HTML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "HTML"}
}
# The unsubscribe page posts its own form and styles itself; nothing else.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
Token = Annotated[str, Query(min_length=1, max_length=tokens.MAX_TOKEN_LENGTH)]


@router.get(
    "/stores/{store_id}/reports/weekly",
    operation_id="get_weekly_report_preview",
    response_class=HTMLResponse,
    responses=HTML_ANSWER,
)
async def get_weekly_report_preview(
    store: VisibleStore,
    session: SessionDep,
    state: State,
    user: CurrentUser,
    week: BoundedDate | None = None,
) -> HTMLResponse:
    """The weekly report email as HTML, for the week containing `week` (default: last
    week, store time), with its chart inline."""
    tz = ZoneInfo(store.timezone)
    monday = week_monday(week or state.clock().astimezone(tz).date() - timedelta(days=7))
    figures = await week_figures(session=session, store=store, week_start=monday)
    secret = state.settings.secret_key.get_secret_value()
    page = render.preview_html(
        figures,
        unsubscribe_url=unsubscribe_url(state.settings, tokens.make(secret, user.id)),
        app_url=app_url(state.settings, store.id),
    )
    return HTMLResponse(page)


@router.get(
    "/reports/preferences", operation_id="get_report_preferences", response_model=ReportPreferences
)
async def get_report_preferences(user: CurrentUser, session: SessionDep) -> ReportPreferences:
    """Whether the caller gets the weekly report email (on unless turned off)."""
    return ReportPreferences(
        weekly_enabled=await service.weekly_enabled(session=session, user_id=user.id)
    )


@router.put(
    "/reports/preferences", operation_id="put_report_preferences", response_model=ReportPreferences
)
async def put_report_preferences(
    user: CurrentUser, session: SessionDep, body: ReportPreferences
) -> ReportPreferences:
    """Turn the weekly report email on or off for the caller (every store they own)."""
    await service.set_weekly(session=session, user_id=user.id, enabled=body.weekly_enabled)
    await session.commit()
    return body


def _page(title: str, body: str) -> HTMLResponse:
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title></head><body style='font-family:system-ui,sans-serif;"
        f"max-width:32rem;margin:2rem auto;padding:0 1rem'><main><h1>{escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_CSP})


async def _user_for(state: State, session: SessionDep, token: str) -> uuid.UUID:
    """The owner the token names, if they still exist, else 404."""
    user_id = tokens.read(state.settings.secret_key.get_secret_value(), token)
    if user_id is None or await session.get(User, user_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this unsubscribe link is not valid")
    return user_id


@router.get(
    "/reports/unsubscribe",
    operation_id="get_unsubscribe",
    response_class=HTMLResponse,
    responses=HTML_ANSWER,
)
async def get_unsubscribe(state: State, session: SessionDep, token: Token) -> HTMLResponse:
    """A page asking to confirm (a GET changes nothing: mail scanners open links)."""
    await _user_for(state, session, token)
    return _page(
        "Stop the weekly report?",
        f"<form method='post' action='?token={escape(token)}'>"
        "<p>You will no longer get the Monday email with last week's figures. You can turn "
        "it on again in the app (a store's Alerts &amp; reports page).</p>"
        "<button type='submit'>Unsubscribe</button></form>",
    )


@router.post(
    "/reports/unsubscribe",
    operation_id="unsubscribe",
    response_class=HTMLResponse,
    responses=HTML_ANSWER,
)
async def unsubscribe(state: State, session: SessionDep, token: Token) -> HTMLResponse:
    """Turn the weekly report off for the token's owner (also RFC 8058 one-click)."""
    user_id = await _user_for(state, session, token)
    await service.set_weekly(session=session, user_id=user_id, enabled=False)
    await session.commit()
    return _page("Unsubscribed", "<p>You will no longer get the weekly report email.</p>")
