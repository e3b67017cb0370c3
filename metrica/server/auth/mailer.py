"""Outgoing email: SMTP when configured, the log in development."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from metrica.server.settings import Settings

log = logging.getLogger("metrica.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, *, to: str, subject: str, body: str) -> None:
        s = self._settings
        if s.smtp_host is None:
            if s.environment == "production":
                log.error("no SMTP configured; email to a user was dropped")
            else:
                log.info("email (not sent, no SMTP) to=%s subject=%s\n%s", to, subject, body)
            return
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.mail_from, to, subject
        message.set_content(body)
        await asyncio.to_thread(self._send_sync, message)

    def _send_sync(self, message: EmailMessage) -> None:
        s = self._settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)
