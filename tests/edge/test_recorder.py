"""The worker's audit clip: an H.264 MP4 a browser plays and seeks (Main profile, yuv420p,
no B-frames, a keyframe at least every GOP_S, the index first), that the audit's counter reads back
(OpenCV's FileSource) frame for frame."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from metrica.edge.recorder import GOP_S, SUFFIX, ClipRecorder, RecorderError
from metrica.vision.sources import FileSource

FPS = 12.5
FRAMES = 30
SIZE = (161, 91)  # odd on purpose: 4:2:0 needs even sides


def frame(index: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """A grey gradient with a bright square that moves 4 px a frame."""
    width, height = size
    image = np.tile(np.linspace(40, 200, width, dtype=np.uint8), (height, 1))
    image = np.repeat(image[:, :, None], 3, axis=2)
    x = 4 * index % (width - 20)
    image[30:50, x : x + 20] = (255, 255, 255)
    return image


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / f"clip{SUFFIX}"
    recorder = ClipRecorder(path, FPS, SIZE, FRAMES)
    done = [recorder.add(frame(i)) for i in range(FRAMES)]
    recorder.close()
    assert done == [False] * (FRAMES - 1) + [True]
    assert recorder.frames == FRAMES
    return path


def test_clip_is_browser_playable_h264_mp4(clip: Path) -> None:
    head = clip.read_bytes()
    assert head[4:8] == b"ftyp"
    assert -1 < head.find(b"moov") < head.find(b"mdat"), "faststart: the index comes first"
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        assert (ctx.name, ctx.profile, ctx.pix_fmt) == ("h264", "Main", "yuv420p")
        assert (ctx.width, ctx.height) == (160, 90)
        assert stream.average_rate == FPS
        packets = [p for p in container.demux(stream) if p.size]
    assert len(packets) == FRAMES
    keyframes = [i for i, p in enumerate(packets) if p.is_keyframe]
    gaps = np.diff([*keyframes, FRAMES])
    assert keyframes[0] == 0
    assert gaps.max() <= round(GOP_S * FPS), keyframes


def test_counter_reads_every_frame_back(clip: Path) -> None:
    with FileSource(clip) as source:
        assert (source.fps, source.width, source.height) == (FPS, 160, 90)
        frames = list(source.frames())
    assert [f.index for f in frames] == list(range(FRAMES))
    assert frames[-1].t_s == pytest.approx((FRAMES - 1) / FPS, abs=1e-3)
    for f in (frames[0], frames[17]):
        original = frame(f.index)[:90, :160].astype(np.int16)
        error = np.abs(f.image.astype(np.int16) - original).mean()
        assert error < 6, f"frame {f.index} decodes close to what was recorded ({error:.1f})"


def test_a_resized_stream_is_scaled_to_the_clip(tmp_path: Path) -> None:
    recorder = ClipRecorder(tmp_path / "c.mp4", 10, (64, 48), 2)
    assert not recorder.add(frame(0, (64, 48)))
    assert recorder.add(frame(0, (128, 96)))
    recorder.close()
    with FileSource(tmp_path / "c.mp4") as source:
        assert [f.image.shape for f in source.frames()] == [(48, 64, 3)] * 2


def test_unwritable_path_is_a_recorder_error(tmp_path: Path) -> None:
    with pytest.raises(RecorderError):
        ClipRecorder(tmp_path / "missing" / "c.mp4", 10, (64, 48), 2)
    with pytest.raises(RecorderError):
        ClipRecorder(tmp_path / "c.mp4", 10, (1, 1), 2)


def test_a_write_error_midway_is_a_recorder_error_and_abort_cleans_up(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    recorder = ClipRecorder(folder / "c.mp4", 10, (64, 48), 100)
    (folder / "c.mp4").unlink()
    folder.rmdir()  # opened at the encoder's first packet (after its lookahead): it cannot be

    def fill() -> None:
        for index in range(100):
            recorder.add(frame(index, (64, 48)))

    with pytest.raises(RecorderError, match="cannot write"):
        fill()
    assert recorder.frames < 100
    recorder.abort()
    assert not folder.exists()
