"""A real Mosquitto of the test's own, on a free port, with Metrica's ACL and password file
(`metrica mqtt acl`'s files): started, stopped (SIGTERM: it saves its persistence file)
and started again on the same port and data, as a broker restart in production."""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from metrica.server.mqtt.broker_files import acl_text, mosquitto_conf, password_file
from tests.support.processes import free_port, poll

SERVER_PASSWORD = "server-" + "x" * 24


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    assert found, "mosquitto is missing: run scripts/ensure-mosquitto.sh"
    return found


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Broker:
    """`mosquitto -c conf` in `directory`; `boxes` are (box id, password hash) pairs."""

    def __init__(self, directory: Path, boxes: list[tuple[str, str]] | None = None) -> None:
        from metrica.server.mqtt.broker_files import mosquitto_hash

        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "data").mkdir(exist_ok=True)
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.acl = self.dir / "metrica.acl"
        self.passwd = self.dir / "metrica.passwd"
        self.acl.write_text(acl_text())
        self.write_passwords(boxes or [], mosquitto_hash(SERVER_PASSWORD))
        conf = mosquitto_conf(
            port=self.port,
            acl_path=str(self.acl),
            password_path=str(self.passwd),
            data_dir=str(self.dir / "data"),
            user=getpass.getuser(),  # as root: stay root, to read the test's private folder
        )
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(conf)
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def write_passwords(self, boxes: list[tuple[str, str]], server_hash: str) -> None:
        self.passwd.write_text(password_file(boxes, server_hash))
        self.passwd.chmod(0o600)

    def start(self) -> Broker:
        log = (self.dir / "mosquitto.log").open("ab")
        self._proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
        )
        poll(lambda: self._alive() and _listening(self.port), timeout_s=10, what="mosquitto")
        return self

    def _alive(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            tail = (self.dir / "mosquitto.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"mosquitto exited with {self._proc.returncode}: {tail}")
        return True

    def stop(self) -> None:
        """SIGTERM and wait: Mosquitto writes its persistence file on the way out."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def restart(self) -> None:
        """Stop (every client sees the broker gone), then start on the same port and data."""
        self.stop()
        poll(lambda: not _listening(self.port), timeout_s=10, what="the port to close")
        self.start()
        self.restarts += 1

    def log_size(self) -> int:
        log = self.dir / "mosquitto.log"
        return len(log.read_text(errors="replace")) if log.exists() else 0

    def wait_for_log(self, text: str, *, after: int = 0, timeout_s: float = 10) -> None:
        log = self.dir / "mosquitto.log"
        poll(
            lambda: text in log.read_text(errors="replace")[after:],
            timeout_s=timeout_s,
            what=f"{text!r} in the broker's log",
        )

    def reload(self) -> None:
        """SIGHUP: re-read the ACL and password file."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGHUP)

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
