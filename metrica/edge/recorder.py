"""Audit clips on the box: the next `seconds` of the stream, as the frame loop sees it,
written to an H.264 MP4 that every browser plays.

OpenCV's wheels carry no H.264 encoder, so the clip is encoded with PyAV, whose wheels
bundle FFmpeg with libx264 (GPL: see docs/audits.md). The file is made for the labelling
page: yuv420p, Main profile without B-frames (decode order = display order, so a frame
index is a media time), a keyframe every `GOP_S` seconds (a seek decodes at most that
much), and the index at the front (`+faststart`) so playback starts before the end of
the file has arrived."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.video.stream import VideoStream

SUFFIX = ".mp4"
CODEC = "libx264"
GOP_S = 1.0  # docs/audits.md: 0.5 s halves a seek but makes clips ~1.5x bigger
CRF = "23"  # x264's default quality
PRESET = "veryfast"  # a box records while it counts: cheap encoding first
# A ceiling for busy 1080p scenes: 600 s at 3 Mbit/s is ~225 MB, under the server's
# 300 MiB upload cap (METRICA_RECORDING_MAX_BYTES). Quiet scenes stay far below it.
MAX_RATE = "3M"
BUFFER = "6M"


class RecorderError(ValueError):
    """The clip could not be opened for writing (no H.264 encoder, an unwritable path)."""


def _rate(fps: float) -> Fraction:
    """The stream's frame rate as a fraction (29.97 -> 30000/1001); 25 if unknown."""
    return Fraction(fps if fps > 0 else 25.0).limit_denominator(1001)


class ClipRecorder:
    """Writes frames until `frames_wanted` are in; `add` says when it is done.

    `size` is the stream's (width, height); the clip's is that rounded down to even
    numbers (4:2:0 needs them), losing at most the last pixel row and column."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], frames_wanted: int) -> None:
        self.path, self.frames_wanted, self.frames = path, max(1, frames_wanted), 0
        self._size = size
        self._even = (size[0] - size[0] % 2, size[1] - size[1] % 2)
        if min(self._even) < 2:
            raise RecorderError(f"a frame of {size[0]}x{size[1]} is too small to record")
        rate = _rate(fps)
        try:
            path.open("wb").close()  # PyAV opens the file at the first frame: fail here
            self._container = av.open(
                str(path), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except (OSError, av.FFmpegError) as exc:
            raise RecorderError(f"cannot write {path}: {exc}") from None
        try:
            stream = self._container.add_stream(CODEC, rate=rate)
        except (ValueError, av.FFmpegError) as exc:
            self._container.close()
            raise RecorderError(f"no {CODEC} encoder in this PyAV build: {exc}") from None
        assert isinstance(stream, VideoStream)
        stream.width, stream.height = self._even
        stream.pix_fmt = "yuv420p"
        stream.time_base = 1 / rate
        gop = max(1, round(GOP_S * float(rate)))
        stream.options = {
            "preset": PRESET,
            "crf": CRF,
            "profile": "main",
            "bf": "0",
            "g": str(gop),
            "keyint_min": str(gop),
            "maxrate": MAX_RATE,
            "bufsize": BUFFER,
        }
        self._stream = stream

    def add(self, image: npt.NDArray[np.uint8]) -> bool:
        """Append a BGR frame (resized if the stream changed size); True once complete."""
        height, width = image.shape[:2]
        if (width, height) != self._size:
            image = np.asarray(cv2.resize(image, self._size), dtype=np.uint8)
        even_w, even_h = self._even
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image[:even_h, :even_w]), format="bgr24"
        )
        frame.pts = self.frames
        try:
            self._container.mux(self._stream.encode(frame))
        except (OSError, av.FFmpegError) as exc:  # a full disk, most likely
            raise RecorderError(f"cannot write {self.path}: {exc}") from None
        self.frames += 1
        return self.frames >= self.frames_wanted

    def close(self) -> None:
        """Flush the encoder and write the index (at the front: a second pass over the
        file, a few milliseconds for a clip)."""
        try:
            self._container.mux(self._stream.encode(None))
        except (OSError, av.FFmpegError) as exc:
            raise RecorderError(f"cannot finish {self.path}: {exc}") from None
        finally:
            try:
                self._container.close()
            except (OSError, av.FFmpegError) as exc:
                raise RecorderError(f"cannot finish {self.path}: {exc}") from None

    def abort(self) -> None:
        """Give the clip up (after a RecorderError): close quietly, delete the file."""
        with contextlib.suppress(OSError, av.FFmpegError):
            self._container.close()
        self.path.unlink(missing_ok=True)


def cut_clip(source: Path, destination: Path, seconds: float, start_s: float = 0.0) -> int:
    """Copy `seconds` of a video file into an MP4 clip as a box records it (tests and demos
    make clips with this); returns the frames written."""
    capture = cv2.VideoCapture(str(source))
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
        size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        first = round(start_s * fps)
        recorder = ClipRecorder(destination, fps, size, round(seconds * fps))
        try:
            index = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                if index >= first and recorder.add(np.asarray(image, dtype=np.uint8)):
                    break
                index += 1
        finally:
            recorder.close()
        return recorder.frames
    finally:
        capture.release()
