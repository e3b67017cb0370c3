"""Frame sources against real clips and a real local HTTP server (no mocks)."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrica.vision.sources import (
    FileSource,
    LiveSource,
    SourceError,
    open_source,
    redact_uri,
)
from tests.support.data import PLAZA, VIDEOS_DIR, video
from tests.support.local_http import QuietHandler, serve
from tests.support.processes import free_port
from tests.support.rtsp import RtspCamera

CLIP = video("town_centre_short.mp4")  # 690x388, 10 fps, 41 frames
WAIT_S = 20.0


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
def http_base() -> Iterator[str]:
    yield from serve(VIDEOS_DIR)


def test_file_yields_every_frame_in_order_with_media_time() -> None:
    with open_source(str(CLIP)) as source:
        assert isinstance(source, FileSource)
        assert (source.fps, source.width, source.height, source.is_live) == (10.0, 690, 388, False)
        frames = list(source.frames())
    assert [f.index for f in frames] == list(range(41))
    assert [f.t_s for f in frames] == pytest.approx([i / 10.0 for i in range(41)])
    assert all(f.image.shape == (388, 690, 3) and f.image.dtype == "uint8" for f in frames)
    assert all(f.captured_at.tzinfo is not None for f in frames)


def test_media_time_never_steps_back_where_the_container_s_timestamps_fail() -> None:
    # The PETS09 AVI's last frame reports no usable timestamp; index / fps there lies
    # before the timestamp of the frame before it.
    with FileSource(video("pets09_s2l1_campus.avi")) as source:
        times = [frame.t_s for frame in source.frames()]
    assert len(times) == 795
    assert all(later > earlier for earlier, later in itertools.pairwise(times))


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(SourceError, match=r"^video not found: .*nope\.mp4$"):
        open_source(str(missing))


def test_corrupt_file_is_a_source_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(SourceError, match=r"^cannot decode video: .*junk\.mp4"):
        open_source(str(junk))


def test_truncated_file_is_a_source_error(tmp_path: Path) -> None:
    head = tmp_path / "head.mp4"
    head.write_bytes(CLIP.read_bytes()[:2048])
    with pytest.raises(SourceError, match="cannot decode video"):
        open_source(str(head))


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


def test_live_stream_reconnects_after_failed_attempts() -> None:
    _FlakyHandler.failures_left = 2
    for base in serve(VIDEOS_DIR, _FlakyHandler):
        with open_source(f"{base}/town_centre_short.mp4", backoff_base_s=0.05) as source:
            assert isinstance(source, LiveSource)
            frame = next(source.frames())
            assert frame.image.shape == (388, 690, 3)
            assert source.reconnects >= 2
            assert source.stream_up


def test_live_stream_connects_once_a_refusing_port_starts_serving() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/town_centre_short.mp4"
    with open_source(url, backoff_base_s=0.05, backoff_cap_s=0.2) as source:
        assert isinstance(source, LiveSource)
        assert source.wait_status(lambda s: s.reconnects >= 1, WAIT_S)
        assert not source.stream_up
        for _ in serve(VIDEOS_DIR, port=port):
            assert source.wait_status(lambda s: s.stream_up and s.frames_read > 0, WAIT_S)
            assert next(source.frames()).image.shape == (388, 690, 3)


def test_rtsp_camera_that_drops_and_returns_delivers_frames_of_a_new_connection() -> None:
    with (
        RtspCamera(PLAZA.clip) as camera,
        open_source(camera.url, backoff_base_s=0.05, backoff_cap_s=0.5) as source,
    ):
        assert isinstance(source, LiveSource)
        frames = source.frames()
        first = next(frames)
        assert first.connection == 1
        assert (source.fps, source.width, source.height) == (25.0, 1280, 720)
        camera.stop()
        assert source.wait_status(lambda s: not s.stream_up, WAIT_S)
        camera.start()
        assert source.wait_status(lambda s: s.stream_up, WAIT_S)
        # At most one frame from before the drop can still be waiting to be taken.
        later = next(frames)
        later = later if later.connection != 1 else next(frames)
        assert later.connection == 2
        assert later.index > first.index
        assert source.reconnects >= 1


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
    port = free_port()
    source = LiveSource(f"http://127.0.0.1:{port}/x.mp4", backoff_base_s=60.0, backoff_cap_s=60.0)
    done = threading.Event()
    closer = threading.Thread(target=lambda: (source.close(), done.set()))
    closer.start()
    assert done.wait(5.0), "close() should not wait out a 60 s backoff"
    closer.join()
