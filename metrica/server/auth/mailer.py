"""Outgoing email: SMTP when configured, the log in development.

The SMTP password is only handed to `smtplib.login`; it is never logged, and errors are
logged by their type and the server's answer, which does not carry it."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from metrica.server.settings import Settings

log = logging.getLogger("metrica.mail")
SMTP_TIMEOUT_S = 10


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def sender(self) -> str:
        return self._settings.mail_from

    async def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        await self.send_message(message)

    async def send_message(self, message: EmailMessage) -> bool:
        """Send a complete message (From, To, Subject set); False when no SMTP server is
        configured (logged, not sent). SMTP and network errors propagate."""
        s = self._settings
        if s.smtp_host is None:
            if s.environment == "production":
                log.error("no SMTP configured; email to a user was dropped")
            else:
                body = message.get_body(preferencelist=("plain",))
                text = body.get_content() if body is not None else "(no text part)"
                log.info(
                    "email (not sent, no SMTP) to=%s subject=%s\n%s",
                    message["To"],
                    message["Subject"],
                    text,
                )
            return False
        await asyncio.to_thread(self._send_sync, message)
        return True

    def _send_sync(self, message: EmailMessage) -> None:
        s = self._settings
        assert s.smtp_host is not None
        smtp_class = smtplib.SMTP_SSL if s.smtp_ssl else smtplib.SMTP
        with smtp_class(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)
