"""A real RTSP camera for tests: Debian's GStreamer RTSP server (rtsp_camera.py, run by
the system python3, which has `gi`) serving a shared clip on a free 127.0.0.1 port. It
can be stopped and started again on the same port, as a camera drops and comes back.
scripts/ensure-gstreamer.sh installs what it needs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.processes import free_port, poll

SYSTEM_PYTHON = os.environ.get("METRICA_TEST_SYSTEM_PYTHON", "/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_camera.py")
START_TIMEOUT_S = 30.0


class RtspCamera:
    """`with RtspCamera(clip) as camera:` serves `clip` at `camera.url` until the block
    ends; `stop()` and `start()` drop the stream and bring it back on the same port."""

    def __init__(self, clip: Path, port: int | None = None) -> None:
        self.clip = clip
        self.port = port or free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/stream"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RtspCamera:
        argv = [SYSTEM_PYTHON, str(SERVER_SCRIPT), str(self.clip), str(self.port)]
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        try:
            poll(self._answers, timeout_s=START_TIMEOUT_S, what=f"the RTSP camera at {self.url}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """End the server at once: every client loses its stream."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> RtspCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answers(self) -> bool:
        """True once DESCRIBE answers 200: the server listens and its pipeline prerolled."""
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise AssertionError(
                f"the RTSP camera exited with {self._proc.returncode} "
                "(are the packages of scripts/ensure-gstreamer.sh installed?)"
            )
        return describe(self.url).startswith("RTSP/1.0 200")


def describe(url: str, timeout_s: float = 5.0) -> str:
    """The status line and headers of an RTSP DESCRIBE of `url`; "" if nothing answers."""
    host_port = url.removeprefix("rtsp://").split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    request = f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as conn:
            conn.sendall(request.encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return ""
    return answer.decode(errors="replace")


@contextlib.contextmanager
def silent_camera() -> Iterator[str]:
    """An RTSP URL whose port accepts connections and never says a word (a hung camera or
    NVR): a client's open waits out its own timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody ever answers
        yield f"rtsp://127.0.0.1:{listener.getsockname()[1]}/stream"
