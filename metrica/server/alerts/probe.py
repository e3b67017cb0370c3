"""A test notice, sent now through a store's email and webhook, and what happened to each:
the owner proves the settings before a real alert needs them. The reasons shown are ours,
never the mail server's or the receiver's text, nor the webhook URL (it may hold a token)."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.alerts import messages, service
from metrica.server.alerts.schemas import AlertTestResult, ChannelOutcome
from metrica.server.alerts.webhook import alert_headers, post_json, public_host
from metrica.server.auth.mailer import Mailer
from metrica.server.settings import Settings
from metrica.server.stores.models import Store

log = logging.getLogger("metrica.alerts")


def smtp_failure(exc: Exception) -> str:
    """An SMTP or network error in words safe to show (no server text, no password)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the mail server refused Metrica's sign-in"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "the mail server refused the sender address"
    if isinstance(exc, smtplib.SMTPException):
        return "the mail server answered with an error"
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, OSError):
        return "could not reach the mail server"
    return "sending failed"


def notice_email(
    *, store: Store, sender: str, to: str, actor: str, at: datetime, link: str
) -> EmailMessage:
    local = at.astimezone(ZoneInfo(store.timezone)).strftime("%a %d %b %Y %H:%M")
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = f"[Metrica] {store.name}: test alert"
    message.set_content(
        f"This is a test alert, sent by {actor} at {local} ({store.timezone}).\n"
        "Real alerts for this store will come to this address.\n\n"
        f"Alert settings and log: {link}\n"
    )
    return message


async def _send_emails(
    mailer: Mailer, *, recipients: list[str], store: Store, actor: str, at: datetime, link: str
) -> ChannelOutcome:
    if not recipients:
        return ChannelOutcome(status="skipped", detail="no recipients: the store has no owners")
    sent = 0
    reason = ""
    for to in recipients:
        message = notice_email(
            store=store, sender=mailer.sender, to=to, actor=actor, at=at, link=link
        )
        try:
            if await mailer.send_message(message):
                sent += 1
            else:
                reason = "no mail server is configured on the Metrica server"
        except Exception as exc:  # an SMTP or network error: shown in our words, logged by type
            log.warning("test alert email failed: %s", type(exc).__name__)
            reason = smtp_failure(exc)
    if sent == len(recipients):
        return ChannelOutcome(status="sent", detail=f"sent to {sent} of {len(recipients)}")
    return ChannelOutcome(status="failed", detail=f"sent to {sent} of {len(recipients)}: {reason}")


async def _send_webhook(
    settings: Settings, *, url: str | None, secret: str, body: bytes
) -> ChannelOutcome:
    if not url:
        return ChannelOutcome(status="skipped", detail="no webhook URL is set")
    if not (settings.alerts_webhook_allow_private or await public_host(url)):
        return ChannelOutcome(
            status="failed", detail="the host does not resolve to a public internet address"
        )
    reason = await post_json(
        url,
        body,
        headers=alert_headers(secret, body, "alert.test"),
        timeout_s=settings.alerts_webhook_timeout_s,
        tries=1,  # the owner waits for the answer: one try, its reason shown
        backoff_s=0.0,
    )
    if reason is None:
        return ChannelOutcome(status="sent", detail="the receiver answered 2xx")
    return ChannelOutcome(status="failed", detail=reason)


async def send_test(
    *,
    session: AsyncSession,
    store: Store,
    mailer: Mailer,
    settings: Settings,
    actor: str,
    now: datetime,
) -> AlertTestResult:
    """Send a test notice through the store's saved channels now (the owners by email when
    no addresses are saved, as for real alerts)."""
    row = await service.get_settings(session=session, store_id=store.id)
    recipients = await service.recipients(session=session, store_id=store.id, row=row)
    link = f"{settings.web_app_url}/stores/{store.id}/alerts"
    body = messages.body_bytes(
        {
            "type": "alert.test",
            "store_id": str(store.id),
            "store_name": store.name,
            "message": f"A test alert, sent by an owner of {store.name}.",
            "at": now.astimezone(UTC).isoformat(),
        }
    )
    webhook = await _send_webhook(
        settings,
        url=row.webhook_url if row else None,
        secret=row.webhook_secret if row else "",
        body=body,
    )
    email = await _send_emails(
        mailer, recipients=recipients, store=store, actor=actor, at=now, link=link
    )
    log.info("test alert: email %s, webhook %s", email.status, webhook.status)
    return AlertTestResult(
        sent_at=now.astimezone(UTC), recipients=recipients, email=email, webhook=webhook
    )
