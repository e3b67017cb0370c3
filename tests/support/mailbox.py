"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts, with
optional AUTH: the mail relay is outside our system, so tests read what the backend sends
from here, parsed by the standard library as a mail client would."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.processes import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Mailbox:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed, raw)
            )
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received]


@contextmanager
def mailbox(*, username: str | None = None, password: str | None = None) -> Iterator[Mailbox]:
    """Run a mailbox until the block ends; with a username, AUTH (PLAIN/LOGIN, no TLS on
    loopback) is required."""
    box = Mailbox("127.0.0.1", free_port(), username, password)
    kwargs: dict[str, Any] = {}
    if username is not None:
        kwargs = {
            "authenticator": box.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(box, hostname=box.host, port=box.port, **kwargs)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
