"""`metrica mqtt consume` and the box's event sender (tests.support.mqtt_sender) as real
processes, killed (-9) and started again by the restart tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from metrica.server.mqtt.broker_files import mosquitto_hash
from tests.support.mosquitto import SERVER_PASSWORD, Broker
from tests.support.mqtt_fleet import SECRET_KEY, SeededBox, box_password_hashes
from tests.support.processes import poll


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv, self.env, self.log_path = argv, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Proc:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv, env=os.environ | self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye, nothing flushed (a power cut, an OOM kill)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def wait(self, timeout_s: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout_s)

    def wait_for_log(self, text: str, *, timeout_s: float = 60, after: int = 0) -> int:
        """Until `text` appears in the log past offset `after`; the offset after it."""

        def found() -> int | None:
            assert self.running(), f"{self.argv[2:4]} exited: {self.tail()}"
            log = self.log_path.read_text(errors="replace")
            at = log.find(text, after)
            return None if at < 0 else at + len(text)

        return poll(found, timeout_s=timeout_s, what=f"{text!r} in {self.log_path.name}")

    def log_size(self) -> int:
        return len(self.log_path.read_text(errors="replace")) if self.log_path.exists() else 0

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


SUBSCRIBED = "MQTT consumer subscribed"


def admit(broker: Broker, db_url: str) -> None:
    """What an operator does after enrolling boxes (`metrica mqtt acl --password-file`):
    the password file from the database, then SIGHUP; returns once the broker re-read it."""
    size = broker.log_size()
    broker.write_passwords(box_password_hashes(db_url), mosquitto_hash(SERVER_PASSWORD))
    broker.reload()
    broker.wait_for_log("Reloading config", after=size)


def consumer(db_url: str, broker_url: str, log_path: Path, *, client: str = "ingest") -> Proc:
    env = {
        "METRICA_DATABASE_URL": db_url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": SECRET_KEY,
        "METRICA_MQTT_URL": broker_url,
        "METRICA_MQTT_PASSWORD": SERVER_PASSWORD,
        "METRICA_MQTT_CLIENT_ID": f"metrica-{client}",
        "METRICA_MQTT_CONFIG_PUSH_S": "0.5",
        "METRICA_LOG_LEVEL": "INFO",
    }
    return Proc([sys.executable, "-m", "metrica.cli", "mqtt", "consume"], env, log_path)


def sender(box: SeededBox, camera_id: str, outbox: Path, broker_url: str, log_path: Path) -> Proc:
    env = {
        "METRICA_MQTT_URL": broker_url,
        "METRICA_MQTT_BOX_ID": box.box_id,
        "METRICA_MQTT_PASSWORD": box.box_key,
    }
    argv = [sys.executable, "-m", "tests.support.mqtt_sender", str(outbox), camera_id]
    return Proc(argv, env, log_path)
