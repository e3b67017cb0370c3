"""Keep FFmpeg's and OpenCV's own log lines off our stderr.

A camera that drops, or a corrupt file, makes FFmpeg (inside OpenCV) print lines such as
`[tcp @ 0x…] Connection refused` and OpenCV print `[ WARN:0@12.5] global cap.cpp:212 …`
straight to stderr, between our one-line errors and the worker's log. Our code already
says each of those failures in its own words (`SourceError`, "stream lost", "cannot
connect"), so the libraries' lines are only noise to an operator.

OpenCV's own level has an API; FFmpeg's has none: OpenCV reads `OPENCV_FFMPEG_LOGLEVEL`
from the environment once, when it first opens a video through FFmpeg. That is why this
module, and nothing else in Metrica, sets an environment variable in its own process:
`metrica.vision.sources` calls `quiet()` when it is imported, before any capture can be
opened (every capture is opened there or in `annotate`, which imports it). Child
processes inherit the setting, which is what they want too. An operator who wants the
libraries' lines back sets `OPENCV_FFMPEG_LOGLEVEL` (e.g. 32) or `OPENCV_FFMPEG_DEBUG`,
and `OPENCV_LOG_LEVEL` (e.g. INFO), and those win.
"""

from __future__ import annotations

import os

import cv2

AV_LOG_QUIET = "-8"


def quiet() -> None:
    """Silence FFmpeg and keep OpenCV to errors, unless the environment asks otherwise."""
    if "OPENCV_FFMPEG_LOGLEVEL" not in os.environ and "OPENCV_FFMPEG_DEBUG" not in os.environ:
        os.environ["OPENCV_FFMPEG_LOGLEVEL"] = AV_LOG_QUIET
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
