"""Frame sources against real clips and a real local HTTP server (no mocks)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.vision.sources import (
    FileSource,
    LiveSource,
    SourceError,
    backoff_delay_s,
    open_source,
    redact_uri,
)
from tests.vision.local_http import QuietHandler, serve

DATA_DIR = Path(
    os.environ.get(
        "METRICA_DATA_DIR", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    )
)
VIDEOS = DATA_DIR / "videos"
CLIP = VIDEOS / "town_centre_short.mp4"  # 690x388, 10 fps, 41 frames
WAIT_S = 20.0


@pytest.fixture
def clip() -> Path:
    if not CLIP.is_file():
        pytest.skip(f"shared data missing: {CLIP} (set METRICA_DATA_DIR)")
    return CLIP


class _FlakyHandler(QuietHandler):
    """Fails the first requests (a 503, then a dropped connection), then serves files."""

    failures_left = 2
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            fail, type(self).failures_left = self.failures_left, max(0, self.failures_left - 1)
        if fail == 2:
            self.send_error(503, "warming up")
        elif fail == 1:
            self.close_connection = True  # no response at all
        else:
            super().do_GET()


@pytest.fixture
def http_base(clip: Path) -> Iterator[str]:
    yield from serve(VIDEOS)


def test_file_yields_every_frame_in_order_with_media_time(clip: Path) -> None:
    with open_source(str(clip)) as source:
        assert isinstance(source, FileSource)
        assert (source.fps, source.width, source.height, source.is_live) == (10.0, 690, 388, False)
        frames = list(source.frames())
    assert [f.index for f in frames] == list(range(41))
    assert [f.t_s for f in frames] == pytest.approx([i / 10.0 for i in range(41)])
    assert all(f.image.shape == (388, 690, 3) and f.image.dtype == "uint8" for f in frames)
    assert all(f.captured_at.tzinfo is not None for f in frames)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(SourceError, match=r"^video not found: .*nope\.mp4$"):
        open_source(str(missing))


def test_corrupt_file_is_a_source_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(SourceError, match=r"^cannot decode video: .*junk\.mp4"):
        open_source(str(junk))


def test_truncated_file_is_a_source_error(tmp_path: Path, clip: Path) -> None:
    head = tmp_path / "head.mp4"
    head.write_bytes(clip.read_bytes()[:2048])
    with pytest.raises(SourceError, match="cannot decode video"):
        open_source(str(head))


@pytest.mark.parametrize(
    ("attempt", "expected_ceiling_s"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (5, 16.0), (6, 30.0), (10, 30.0), (10_000, 30.0)],
)
def test_backoff_doubles_then_caps(attempt: int, expected_ceiling_s: float) -> None:
    assert backoff_delay_s(attempt, u=1.0) == expected_ceiling_s
    assert backoff_delay_s(attempt, u=0.0) == 0.0
    assert backoff_delay_s(attempt, u=0.25) == pytest.approx(expected_ceiling_s / 4)


def test_backoff_clamps_bad_draws_and_attempts() -> None:
    assert backoff_delay_s(-3, u=0.5) == 0.25
    assert backoff_delay_s(3, u=7.0, base_s=1.0, cap_s=5.0) == 5.0


def test_redact_uri_hides_credentials() -> None:
    assert redact_uri("rtsp://admin:s3cret@10.0.0.2:554/s1") == "rtsp://***@10.0.0.2:554/s1"
    assert redact_uri("http://cam.local/mjpg") == "http://cam.local/mjpg"


def test_uri_kinds_pick_the_source() -> None:
    stop = threading.Event()
    stop.set()  # the reader thread ends at once, nothing connects
    for uri in ("rtsp://127.0.0.1:1/x", "RTSPS://127.0.0.1:1/x", "https://127.0.0.1:1/x"):
        with open_source(uri, stop=stop) as source:
            assert isinstance(source, LiveSource)
            assert source.is_live


def test_live_http_stream_delivers_only_the_newest_frame(http_base: str) -> None:
    with open_source(f"{http_base}/town_centre_short.mp4", backoff_base_s=0.05) as source:
        assert isinstance(source, LiveSource)
        frames = source.frames()
        first = next(frames)
        assert source.stream_up
        assert (source.fps, source.width, source.height) == (10.0, 690, 388)
        # While we hold off, the reader keeps decoding and replaces the waiting frame.
        target = first.index + 10
        assert source.wait_status(lambda s: s.frames_read > target, WAIT_S)
        second = next(frames)
        assert second.index >= target
        assert second.t_s > first.t_s
        assert source.frames_dropped >= target - first.index - 1
        assert second.image.shape == (388, 690, 3)


def test_live_stream_reconnects_after_failed_attempts(clip: Path) -> None:
    _FlakyHandler.failures_left = 2
    for base in serve(VIDEOS, _FlakyHandler):
        with open_source(f"{base}/town_centre_short.mp4", backoff_base_s=0.05) as source:
            assert isinstance(source, LiveSource)
            frame = next(source.frames())
            assert frame.image.shape == (388, 690, 3)
            assert source.reconnects >= 2
            assert source.stream_up


def test_live_stream_connects_once_a_refusing_port_starts_serving(clip: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/town_centre_short.mp4"
    with open_source(url, backoff_base_s=0.05, backoff_cap_s=0.2) as source:
        assert isinstance(source, LiveSource)
        assert source.wait_status(lambda s: s.reconnects >= 1, WAIT_S)
        assert not source.stream_up
        for _ in serve(VIDEOS, port=port):
            assert source.wait_status(lambda s: s.stream_up and s.frames_read > 0, WAIT_S)
            assert next(source.frames()).image.shape == (388, 690, 3)


def test_stop_event_ends_frames_and_reader(http_base: str) -> None:
    stop = threading.Event()
    source = open_source(f"{http_base}/town_centre_short.mp4", stop=stop)
    assert isinstance(source, LiveSource)
    frames = source.frames()
    next(frames)
    stop.set()
    assert list(frames) == []
    source.close()
    assert not source._thread.is_alive()


def test_close_interrupts_a_long_backoff() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = LiveSource(f"http://127.0.0.1:{port}/x.mp4", backoff_base_s=60.0, backoff_cap_s=60.0)
    done = threading.Event()
    closer = threading.Thread(target=lambda: (source.close(), done.set()))
    closer.start()
    assert done.wait(5.0), "close() should not wait out a 60 s backoff"
    closer.join()
