"""Read one file field out of a multipart body as it arrives, chunk by chunk.

Starlette's `request.form()` spools the whole file before the handler runs; an upload of
gigabytes should go straight to blob storage instead, so the body is fed to
python-multipart's push parser and the file part's bytes are handed on as they come.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field as dc_field

from python_multipart.multipart import MultipartParser, parse_options_header

from metrica.domain.media import SNIFF_BYTES

MAX_HEADER_BYTES = 16 * 1024


class UploadError(ValueError):
    """A body that is not a multipart form with a `file` field."""


@dataclass
class _Part:
    headers: dict[str, str] = dc_field(default_factory=dict)
    name: bytearray = dc_field(default_factory=bytearray)
    value: bytearray = dc_field(default_factory=bytearray)


class MultipartFile:
    """The field named `name` of a multipart body, streamed: `await open()` finds it and
    reads its first bytes (`head`), then `chunks()` yields the file's bytes, head first."""

    def __init__(self, body: AsyncIterator[bytes], content_type: str, name: str = "file") -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UploadError("expected a multipart/form-data body with a boundary")
        self._body = body
        self._name = name
        self._parts: list[_Part] = []
        self._in_file = False
        self._file_done = False
        self._ready = False
        self._pending: list[bytes] = []
        self._header_bytes = 0
        self.filename = ""
        self.content_type = ""
        self.head = b""
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    # --- parser callbacks ------------------------------------------------------------
    def _part_begin(self) -> None:
        self._parts.append(_Part())

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise UploadError("multipart headers too large")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._parts[-1].name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._parts[-1].value += data[start:end]

    def _header_end(self) -> None:
        part = self._parts[-1]
        name = part.name.decode("latin-1").strip().lower()
        part.headers[name] = part.value.decode("utf-8", "replace")
        part.name, part.value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        part = self._parts[-1]
        _, options = parse_options_header(part.headers.get("content-disposition", ""))
        if options.get(b"name", b"").decode("utf-8", "replace") == self._name and not (
            self._ready or self._file_done
        ):
            self._in_file = True
            self._ready = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.content_type = part.headers.get("content-type", "")
        self._parts.clear()  # nothing else is kept

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._file_done = True

    # --- driving ---------------------------------------------------------------------
    async def _feed(self) -> bool:
        """Parse the next body chunk; False at the end of the body."""
        async for chunk in self._body:
            if chunk:
                try:
                    self._parser.write(chunk)
                except UploadError:
                    raise
                except Exception as exc:  # python-multipart's own parse errors
                    raise UploadError(f"malformed multipart body: {exc}") from None
                return True
        return False

    async def open(self) -> None:
        """Find the file field and read up to `SNIFF_BYTES` of it into `head`."""
        while not self._ready:
            if not await self._feed():
                raise UploadError(f"the form has no {self._name!r} field")
        head = bytearray()
        while len(head) < SNIFF_BYTES:
            if self._pending:
                head += b"".join(self._pending)
                self._pending.clear()
                continue
            if self._file_done or not await self._feed():
                break
        self.head = bytes(head)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes (after `open`), as they arrive; the rest of the body is read
        and dropped."""
        if self.head:
            yield self.head
        while True:
            while self._pending:
                yield self._pending.pop(0)
            if self._file_done:
                break
            if not await self._feed():
                if not self._file_done:
                    raise UploadError("the body ended inside the file")
                break
        while await self._feed():
            self._pending.clear()
