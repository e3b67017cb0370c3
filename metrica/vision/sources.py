"""Frame sources for the edge worker: a video file, a webcam index or a live stream.

Files are decoded in full, in order, because evaluation against ground truth needs every
frame. Live sources (webcams, RTSP, HTTP) are read on their own thread that keeps only
the newest frame: a slow detector then skips frames instead of falling ever further
behind real time, and a dropped stream is reconnected with capped, jittered backoff
until the caller's stop event is set.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import cv2
import numpy as np
import numpy.typing as npt

from metrica.domain.backoff import backoff_delay_s
from metrica.vision import video_logs

video_logs.quiet()  # before any capture is opened: see metrica.vision.video_logs
log = logging.getLogger(__name__)

LIVE_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")
MAX_SANE_FPS = 1000.0
STOP_POLL_S = 0.2  # how soon an external stop event is noticed while waiting
CLOSE_WAIT_S = 1.0  # how long close() waits for a reader stuck opening a silent camera


class SourceError(ValueError):
    """A source that cannot be opened (missing, undecodable, unknown frame rate)."""


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded frame.

    `index` is the 0-based decode index since the source opened (it keeps counting
    across reconnects); `t_s` is media time in seconds for files and monotonic seconds
    since opening for live sources; `image` is BGR, shape `(h, w, 3)`, uint8;
    `captured_at` is the UTC wall clock when the frame was read; `connection` numbers the
    live source's connections from 1 (always 0 for a file): when it changes, the stream
    had a gap, and motion seen before it says nothing about motion after it. `decode_s`
    is how long reading and decoding it took (the worker's decode stage latency).
    """

    index: int
    t_s: float
    image: npt.NDArray[np.uint8]
    captured_at: datetime
    connection: int = 0
    decode_s: float = 0.0


class FrameSource(Protocol):
    """What the pipeline reads frames from; use it as a context manager."""

    @property
    def fps(self) -> float: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def is_live(self) -> bool: ...
    def frames(self) -> Iterator[Frame]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def redact_uri(uri: str) -> str:
    """Hide `user:password@` in a stream URI so it can be logged."""
    return re.sub(r"(?<=://)[^/@]*@", "***@", uri)


def is_live_source(uri: str) -> bool:
    """A webcam index or a stream URL (read newest-frame-only, reconnected), else a file."""
    return uri.isdigit() or uri.lower().startswith(LIVE_SCHEMES)


def open_source(
    uri: str,
    *,
    stop: threading.Event | None = None,
    open_timeout_s: float = 10.0,
    read_timeout_s: float = 10.0,
    backoff_base_s: float = 0.5,
    backoff_cap_s: float = 30.0,
) -> FileSource | LiveSource:
    """Open a video file path, a webcam index ("0") or an rtsp(s)/http(s) stream URI."""
    if is_live_source(uri):
        return LiveSource(
            int(uri) if uri.isdigit() else uri,
            stop=stop,
            open_timeout_s=open_timeout_s,
            read_timeout_s=read_timeout_s,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
        )
    return FileSource(Path(uri))


def _bgr(image: Any) -> npt.NDArray[np.uint8]:
    """OpenCV already decodes to uint8 BGR; this only tells the type checker (no copy)."""
    return np.asarray(image, dtype=np.uint8)


def _sane_fps(fps: float) -> bool:
    return math.isfinite(fps) and 0.0 < fps <= MAX_SANE_FPS


class Closing:
    """`with` support for anything that has `close()`: sources, writers, the worker."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FileSource(Closing):
    """Every frame of a video file, in order, none dropped."""

    is_live = False

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SourceError(f"video not found: {path}")
        self._path = path
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise SourceError(f"cannot decode video: {path}")
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"cannot decode video: {path} (no frames)")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        if not _sane_fps(fps):
            self._cap.release()
            raise SourceError(f"cannot read frame rate of video: {path}")
        self._fps = fps
        self._first: npt.NDArray[np.uint8] | None = _bgr(first)
        self._first_pos_ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        self._height, self._width = first.shape[:2]

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def width(self) -> int:
        return int(self._width)

    @property
    def height(self) -> int:
        return int(self._height)

    def frames(self) -> Iterator[Frame]:
        """Yield each frame once; a second call yields nothing (the decoder only goes forward)."""
        image, pos_ms = self._first, self._first_pos_ms
        self._first = None
        index, last_t_s, decode_s = 0, -1.0, 0.0
        while image is not None:
            t_s = self._media_time_s(index, pos_ms, last_t_s)
            yield Frame(index, t_s, image, datetime.now(UTC), decode_s=decode_s)
            last_t_s, index = t_s, index + 1
            started = time.perf_counter()
            ok, raw = self._cap.read()
            if not ok or raw is None:
                return
            image = _bgr(raw)
            decode_s = time.perf_counter() - started
            pos_ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))

    def _media_time_s(self, index: int, pos_ms: float, last_t_s: float) -> float:
        """The container's timestamp when it is usable (variable frame rate), else index /
        fps, never before the previous frame's (the tracker drops a step back in time)."""
        t_s = pos_ms / 1000.0
        if math.isfinite(t_s) and t_s > last_t_s and (index == 0 or t_s > 0.0):
            return t_s
        return max(index / self._fps, last_t_s + 1.0 / self._fps)

    def close(self) -> None:
        self._cap.release()


CaptureOpener = Callable[[str | int, float, float], Any]


def _open_capture(target: str | int, open_timeout_s: float, read_timeout_s: float) -> Any:
    """A connected cv2.VideoCapture, or None; timeouts keep a dead camera from hanging us."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_s * 1000),
    ]
    backend = cv2.CAP_ANY if isinstance(target, int) else cv2.CAP_FFMPEG
    cap = cv2.VideoCapture(target, backend, params)
    if cap.isOpened():
        return cap
    cap.release()
    return None


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """A snapshot of a live source's health, e.g. for heartbeats."""

    stream_up: bool
    reconnects: int
    frames_read: int
    frames_dropped: int


class LiveSource(Closing):
    """Newest-frame-only reader for a webcam or network stream, reconnecting forever.

    fps, width and height are those of the last connection (0 before the first one, and
    fps stays 0 for a stream that does not report one): count through
    `metrica.vision.counting_run.wait_for_stream` and `tracking_fps`.
    """

    is_live = True

    def __init__(
        self,
        target: str | int,
        *,
        stop: threading.Event | None = None,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        opener: CaptureOpener = _open_capture,
    ) -> None:
        self._target = target
        self._name = redact_uri(target) if isinstance(target, str) else f"webcam {target}"
        self._stop = stop
        self._closed = threading.Event()
        self._timeouts_s = (open_timeout_s, read_timeout_s)
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._opener = opener
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._wanted = False  # a consumer waits in frames(): the next frame is converted
        self._status = LiveStatus(stream_up=False, reconnects=0, frames_read=0, frames_dropped=0)
        self._fps, self._width, self._height = 0.0, 0, 0
        self._connection = 0  # connections that delivered a frame
        self._opened_at_s = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"source:{self._name}", daemon=True)
        self._thread.start()

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def status(self) -> LiveStatus:
        return self._status

    @property
    def stream_up(self) -> bool:
        return self._status.stream_up

    @property
    def reconnects(self) -> int:
        return self._status.reconnects

    @property
    def frames_dropped(self) -> int:
        """Frames nobody took: those that arrived while the consumer was busy (never
        converted to an image) and converted ones a newer frame made stale."""
        return self._status.frames_dropped

    def wait_status(self, predicate: Callable[[LiveStatus], bool], timeout_s: float) -> bool:
        """Block until `predicate(status)` holds (True) or `timeout_s` passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self._status), timeout=timeout_s)

    def frames(self) -> Iterator[Frame]:
        """Yield the newest frame each time one is available, until stopped or closed."""
        while True:
            with self._cond:
                self._wanted = True
                self._cond.wait_for(
                    lambda: self._latest is not None or self._stopping(), timeout=STOP_POLL_S
                )
                self._wanted = False
                if self._stopping():
                    return
                frame, self._latest = self._latest, None
            if frame is not None:
                yield frame

    def close(self) -> None:
        """Stop the reader thread and release the stream (does not set the caller's stop).

        A reader inside FFmpeg's open of a camera that accepted the connection and went
        silent cannot be interrupted; it is not waited for beyond `CLOSE_WAIT_S` (it ends
        at its open timeout, releasing what it opened; a daemon, it never holds up exit)."""
        self._closed.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT_S)

    def _stopping(self) -> bool:
        return self._closed.is_set() or (self._stop is not None and self._stop.is_set())

    def _stopped_within(self, delay_s: float) -> bool:
        """Like `stop.wait(delay_s)`, but also woken at once by close()."""
        deadline_s = time.monotonic() + delay_s
        while not self._stopping():
            remaining_s = deadline_s - time.monotonic()
            if remaining_s <= 0:
                return False
            self._closed.wait(min(remaining_s, STOP_POLL_S))
        return True

    def _update(self, **changes: Any) -> None:
        with self._cond:
            self._status = dataclasses.replace(self._status, **changes)
            self._cond.notify_all()

    def _run(self) -> None:
        attempt, delay_s, first = 0, 0.0, True
        while not self._stopped_within(delay_s):
            if not first:
                self._update(reconnects=self._status.reconnects + 1)
            first = False
            cap = self._opener(self._target, *self._timeouts_s)
            if cap is None:
                if not self._stopping():
                    log.warning("source %s: cannot connect", self._name)
            else:
                if self._pump(cap):
                    attempt = 0
                cap.release()
                if self._status.stream_up and not self._stopping():
                    log.warning("source %s: stream lost", self._name)
                self._update(stream_up=False)
            base_s, cap_s = self._backoff
            delay_s = backoff_delay_s(attempt, u=random.random(), base_s=base_s, cap_s=cap_s)
            attempt += 1

    def _pump(self, cap: Any) -> bool:
        """Read until the stream fails or we stop; True if any frame arrived.

        Every frame is grabbed (decoded, so the stream keeps its place), but only converted
        to an image when a consumer waits for one, or as a connection's first frame (its
        size): a pipeline slower than the camera gets the newest frame, and the frames it
        has no time for cost no conversion (a 1080p frame's is milliseconds)."""
        got_any = False
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        while not self._stopping():
            started = time.perf_counter()
            if not cap.grab():
                return got_any
            with self._cond:
                if got_any and not self._wanted:
                    s = self._status
                    stale, self._latest = self._latest is not None, None
                    dropped = s.frames_dropped + 1 + stale
                    self._status = LiveStatus(True, s.reconnects, s.frames_read + 1, dropped)
                    self._cond.notify_all()
                    continue
            ok, image = cap.retrieve()
            if not ok or image is None:
                return got_any
            frame = Frame(
                self._status.frames_read,
                time.monotonic() - self._opened_at_s,
                _bgr(image),
                datetime.now(UTC),
                self._connection + (not got_any),
                decode_s=time.perf_counter() - started,
            )
            with self._cond:
                if not got_any:
                    self._connection += 1
                    self._fps = fps if _sane_fps(fps) else 0.0
                    self._height, self._width = image.shape[:2]
                    log.info("source %s: stream up", self._name)
                s = self._status
                dropped = s.frames_dropped + (self._latest is not None)
                self._latest = frame
                self._status = LiveStatus(True, s.reconnects, s.frames_read + 1, dropped)
                self._cond.notify_all()
            got_any = True
        return got_any
