"""What an alert says: the webhook's JSON and the email's subject and text (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from metrica.domain.alerts import Edge
from metrica.server.alerts.models import AlertEpisode

TITLES = {
    "capacity": "over capacity",
    "camera_down": "camera down",
    "low_count": "count far below usual",
}


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def payload(episode: AlertEpisode, edge: Edge, *, store_name: str, at: datetime) -> dict[str, Any]:
    """The webhook body; instants in UTC (ISO 8601)."""
    return {
        "type": f"alert.{edge}",
        "alert_id": str(episode.id),
        "store_id": str(episode.store_id),
        "store_name": store_name,
        "kind": episode.kind,
        "subject": episode.subject,
        "message": episode.message,
        "value": episode.value,
        "threshold": episode.threshold,
        "started_at": _utc(episode.started_at),
        "resolved_at": _utc(episode.resolved_at) if episode.resolved_at else None,
        "at": _utc(at),
    }


def body_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def email(
    episode: AlertEpisode,
    edge: Edge,
    *,
    store_name: str,
    timezone: str,
    sender: str,
    to: str,
    link: str,
) -> EmailMessage:
    tz = ZoneInfo(timezone)
    title = TITLES.get(episode.kind, episode.kind)
    started = episode.started_at.astimezone(tz).strftime("%a %d %b %Y %H:%M")
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    if edge == "raised":
        message["Subject"] = f"[Metrica] {store_name}: {title}"
        text = f"{episode.message}\n\nSince {started} ({timezone}).\n"
    else:
        resolved = (episode.resolved_at or episode.started_at).astimezone(tz)
        message["Subject"] = f"[Metrica] {store_name}: resolved, {title}"
        text = (
            f"Resolved at {resolved.strftime('%a %d %b %Y %H:%M')} ({timezone}): "
            f"{episode.message}\n\nIt started {started}.\n"
        )
    message.set_content(f"{text}\nAlert settings and log: {link}\n")
    return message
