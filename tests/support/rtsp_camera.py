"""A real RTSP camera for tests: Debian's GStreamer RTSP server serving an H.264 clip.

Run with the SYSTEM python3 (it has `gi`; the project's venv does not):

    /usr/bin/python3 tests/support/rtsp_camera.py CLIP PORT

It serves CLIP at rtsp://127.0.0.1:PORT/stream, each client from the start of the clip at
its own frame rate (no re-encoding: demux, parse, payload), until SIGTERM. It imports
nothing of ours; tests/support/rtsp.py starts and stops it. Needs the packages that
scripts/ensure-gstreamer.sh installs.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

DEMUXERS = {".mp4": "qtdemux", ".mov": "qtdemux", ".mkv": "matroskademux", ".avi": "avidemux"}


def launch_line(clip: Path) -> str:
    """The media pipeline: the clip's own H.264 stream, payloaded for RTP, never decoded."""
    demux = DEMUXERS[clip.suffix.lower()]
    location = str(clip).replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'( filesrc location="{location}" ! {demux} ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main(argv: list[str]) -> int:
    clip, port = Path(argv[1]).resolve(), argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(clip))
    factory.set_shared(False)  # each client sees the clip from its start
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"rtsp_camera: cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
