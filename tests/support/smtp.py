"""A fake SMTP server on 127.0.0.1 that keeps every message: the mail relay is outside
our system, so tests read the codes and links the backend sends from here."""

from __future__ import annotations

import asyncio
import email


class SmtpSink:
    """A tiny SMTP server that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.received = asyncio.Event()

    def text(self, index: int) -> str:
        """The decoded body of message `index`."""
        raw = self.messages[index].removesuffix("\r\n.\r\n")
        payload = email.message_from_string(raw).get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250 sink\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                self.messages.append(data.decode())
                self.received.set()
                writer.write(b"250 ok\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()
