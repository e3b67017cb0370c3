"""The worker's HTTP client for the backend's worker API (`X-Worker-Key`, docs/api.md).

`post_events` never raises for an answer or a network failure: it classifies what
happened into one `SendOutcome` (acknowledged, retry later, key rejected, some events
refused, batch too large) and the sender decides. `classify` is pure and table-tested.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from metrica import __version__
from metrica.domain.events import Heartbeat
from metrica.domain.geometry import CountingLine, LineSpecError

log = logging.getLogger(__name__)

USER_AGENT = f"metrica-worker/{__version__}"


@dataclass(frozen=True, slots=True)
class Acked:
    """The backend stored the batch (`duplicates` it already had)."""

    accepted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Retry:
    """Nothing stored; try again later. `reason` is a bounded metric label."""

    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class AuthRejected:
    """401/403: the key is unknown, revoked or for another camera; retried, never dropped."""

    status: int
    detail: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The batch is malformed. `problems` maps batch indices to the server's reason; when
    the server named no index it is empty and the sender bisects to find the bad event."""

    status: int
    problems: dict[int, str]
    detail: str


@dataclass(frozen=True, slots=True)
class TooLarge:
    """413: split the batch."""


SendOutcome = Acked | Retry | AuthRejected | Rejected | TooLarge

# Every `Retry.reason` (and "auth"): the bounded label values of the send-failure metric.
FAILURE_REASONS = (
    "timeout",
    "connect",
    "network",
    "http_5xx",
    "http_429",
    "http_4xx",
    "http_other",
    "not_found",
    "bad_answer",
    "auth",
    "mqtt_down",
    "mqtt_timeout",
    "mqtt_refused",
)

# Answers that say nothing about the events themselves: retry them like a network error.
_RETRY_STATUS = {
    404: "not_found",
    405: "not_found",
    408: "timeout",
    425: "http_4xx",
    429: "http_429",
}


def classify(status: int, body: Any) -> SendOutcome:
    """What an HTTP answer to `POST /events` means for the events in the batch."""
    detail = _detail_text(body)
    if status == 200:
        if isinstance(body, dict):
            return Acked(int(body.get("accepted", 0)), int(body.get("duplicates", 0)))
        return Retry("bad_answer", f"unexpected 200 body: {detail}")
    if status in (401, 403):
        return AuthRejected(status, detail)
    if status == 413:
        return TooLarge()
    if status in _RETRY_STATUS:
        return Retry(_RETRY_STATUS[status], f"HTTP {status}: {detail}")
    if 400 <= status < 500:
        return Rejected(status, _event_problems(body), f"HTTP {status}: {detail}")
    reason = "http_5xx" if status >= 500 else "http_other"
    return Retry(reason, f"HTTP {status}: {detail}")


def _event_problems(body: Any) -> dict[int, str]:
    """Batch indices named by a FastAPI validation answer: loc = [body, events, i, ...]."""
    problems: dict[int, str] = {}
    items = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return problems
    for item in items:
        loc = item.get("loc") if isinstance(item, dict) else None
        if isinstance(loc, list) and len(loc) >= 3 and loc[:2] == ["body", "events"]:
            index = loc[2]
            if isinstance(index, int):
                field = ".".join(str(p) for p in loc[3:]) or "event"
                msg = f"{field}: {item.get('msg', 'invalid')}"
                problems[index] = f"{problems[index]}; {msg}" if index in problems else msg
    return problems


def _detail_text(body: Any) -> str:
    detail = body.get("detail", body) if isinstance(body, dict) else body
    text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
    return text[:300]


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    return "network"


class KeyStatus:
    """Whether the backend refused this worker's key at its latest answer (HTTP 401/403),
    shared by the worker's uplinks: the log (once per change), the metrics, the status
    line, the summary and the wait for lines all say the same thing. A 2xx answer clears
    it (a key file rotated)."""

    def __init__(self) -> None:
        self.refused = False
        self.detail = ""
        self._lock = threading.Lock()

    def note(self, status: int, detail: str) -> None:
        with self._lock:
            if status in (401, 403) and not self.refused:
                self.refused, self.detail = True, f"HTTP {status}: {detail}"
                log.error(
                    "worker key refused by the backend (%s): issue a new key in the admin "
                    "app and give it to the worker; asking again with backoff, counted "
                    "events stay in the outbox",
                    self.detail,
                )
            elif 200 <= status < 300 and self.refused:
                self.refused, self.detail = False, ""
                log.info("worker key accepted again")


@dataclass(frozen=True, slots=True)
class ControlResult:
    """Outcome of a heartbeat, snapshot or config call: ok, or why not."""

    ok: bool
    status: int | None
    detail: str


class Uplink:
    """One camera's view of the backend. Thread-confined: each thread makes its own."""

    def __init__(
        self,
        api_url: str,
        camera_id: str,
        key: Callable[[], str],
        *,
        timeout_s: float = 10.0,
        key_status: KeyStatus | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._key = key
        self.key_status = key_status or KeyStatus()
        self._client = httpx.Client(
            base_url=api_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
        )

    def close(self) -> None:
        self._client.close()

    def post_events(self, bodies: Sequence[str]) -> SendOutcome:
        """POST serialised events (JSON objects, as stored in the outbox) as one batch."""
        content = ('{"events":[' + ",".join(bodies) + "]}").encode()
        try:
            response = self._client.post(
                "/events", content=content, headers=self._headers("application/json")
            )
        except httpx.TransportError as exc:
            return Retry(_transport_reason(exc), f"{type(exc).__name__}: {exc}")
        body = _json_or_text(response)
        self.key_status.note(response.status_code, _detail_text(body))
        return classify(response.status_code, body)

    def post_heartbeat(self, beat: Heartbeat) -> ControlResult:
        return self._control(
            "POST",
            f"/cameras/{self.camera_id}/heartbeat",
            beat.model_dump_json().encode(),
            "application/json",
        )

    def put_snapshot(self, jpeg: bytes) -> ControlResult:
        return self._control("PUT", f"/cameras/{self.camera_id}/snapshot", jpeg, "image/jpeg")

    def get_lines(self) -> tuple[ControlResult, list[CountingLine] | None]:
        """The backend's counting lines for this camera (None when they could not be read)."""
        try:
            response = self._client.get(
                f"/cameras/{self.camera_id}/config", headers=self._headers(None)
            )
        except httpx.TransportError as exc:
            return ControlResult(False, None, f"{type(exc).__name__}: {exc}"), None
        detail = "" if response.status_code == 200 else _detail_text(_json_or_text(response))
        self.key_status.note(response.status_code, detail)
        if response.status_code != 200:
            return ControlResult(False, response.status_code, detail), None
        try:
            lines = [
                CountingLine(str(s["line_id"]), s["x1"], s["y1"], s["x2"], s["y2"])
                for s in response.json()["lines"]
            ]
        except (ValueError, KeyError, TypeError, LineSpecError) as exc:
            return ControlResult(False, 200, f"unreadable config: {exc}"), None
        return ControlResult(True, 200, ""), lines

    def get_pending_recording(self) -> tuple[str, int] | None:
        """(recording id, seconds) of a clip an admin asked for, else None (also when the
        backend could not be asked: the next poll asks again)."""
        try:
            response = self._client.get(
                f"/cameras/{self.camera_id}/recordings/pending", headers=self._headers(None)
            )
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            return None
        try:
            body = response.json()
            if body["recording_id"] is None:
                return None
            return str(body["recording_id"]), int(body["seconds"])
        except (ValueError, KeyError, TypeError):
            return None

    def put_recording(self, recording_id: str, path: Path) -> ControlResult:
        """Upload a recorded clip, an H.264 MP4 (streamed from the file)."""
        with path.open("rb") as clip:
            return self._control(
                "PUT",
                f"/cameras/{self.camera_id}/recordings/{recording_id}/clip",
                clip,
                "video/mp4",
            )

    def _control(
        self, method: str, path: str, content: bytes | BinaryIO, content_type: str
    ) -> ControlResult:
        try:
            response = self._client.request(
                method, path, content=content, headers=self._headers(content_type)
            )
        except httpx.TransportError as exc:
            return ControlResult(False, None, f"{type(exc).__name__}: {exc}")
        ok = 200 <= response.status_code < 300
        detail = "" if ok else _detail_text(_json_or_text(response))
        self.key_status.note(response.status_code, detail)
        return ControlResult(ok, response.status_code, detail)

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"X-Worker-Key": self._key()}
        if content_type:
            headers["Content-Type"] = content_type
        return headers


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]
