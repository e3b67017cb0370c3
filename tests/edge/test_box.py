"""The box side without a backend: credentials files, a camera's worker command, schedules,
and the supervisor applying a changed camera set to real processes."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from datetime import time
from pathlib import Path

import pytest

from metrica.domain.fleet import BoxCameraConfig, BoxConfig, CameraSettings, Schedule
from metrica.edge.box import BoxSettings, scheduled, worker_spec
from metrica.edge.enrolment import BoxCredentials, load_credentials, save_credentials
from metrica.edge.settings import SettingsError
from metrica.edge.supervisor import Supervisor, WorkerSpec
from tests.support.processes import poll

CREDENTIALS = BoxCredentials("http://127.0.0.1:8000", str(uuid.uuid4()), str(uuid.uuid4()), "mbx_k")
SOURCE = "rtsp://viewer:s3cret@10.0.0.7/stream"


def _camera(**settings: object) -> BoxCameraConfig:
    return BoxCameraConfig(
        camera_id=uuid.uuid4(),
        name="Door",
        source=SOURCE,
        worker_key="mk_x",
        settings=CameraSettings.model_validate(settings),
        lines=[],
        version="v1",
    )


def test_credentials_are_written_0600_and_refused_when_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "box" / "credentials.json"
    save_credentials(path, CREDENTIALS)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_credentials(path) == CREDENTIALS
    path.chmod(0o640)
    with pytest.raises(SettingsError, match="mode 0640") as refused:
        load_credentials(path)
    assert "mbx_k" not in str(refused.value)


def test_the_source_travels_in_the_environment_not_the_command_line(tmp_path: Path) -> None:
    settings = BoxSettings(credentials=CREDENTIALS, state_dir=tmp_path)
    spec = worker_spec(_camera(stride=3, model="yolox_nano", input_size=640), settings)
    assert not any("s3cret" in arg for arg in spec.argv)
    assert dict(spec.env)["METRICA_SOURCE"] == SOURCE
    argv = " ".join(spec.argv)
    assert "--stride 3" in argv
    assert "--model yolox_nano" in argv
    assert "--input-size 640" in argv
    assert f"--key-file {tmp_path}/keys/" in argv
    assert "--no-snapshot-blur" not in argv  # people are blurred unless an admin said not
    unblurred = worker_spec(_camera(blur_people=False), settings)
    assert "--no-snapshot-blur" in unblurred.argv


def test_cameras_off_schedule_are_not_run() -> None:
    always, daytime = _camera(), _camera(schedule=Schedule(start="07:00", end="22:00"))
    config = BoxConfig(
        box_id=uuid.uuid4(), store_id=uuid.uuid4(), cameras=[always, daytime], version="x"
    )
    on, off = scheduled(config, time(23, 0))
    assert [c.camera_id for c in on] == [always.camera_id]
    assert off == {str(daytime.camera_id)}
    on, off = scheduled(config, time(12, 0))
    assert len(on) == 2
    assert off == set()


def _sleeper(camera_id: str, tag: str) -> WorkerSpec:
    argv = (sys.executable, "-c", "import time; time.sleep(60)", tag)
    return WorkerSpec(camera_id, camera_id, argv, ())


def test_apply_restarts_only_the_changed_camera() -> None:
    supervisor = Supervisor(stop_timeout_s=5)
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    try:
        supervisor.apply([_sleeper("a", "1"), _sleeper("b", "1")])

        def pids() -> dict[str, int]:
            return {
                c.spec.camera_id: c.proc.pid
                for c in list(supervisor.children)
                if c.proc is not None
            }

        def when(n: int, changed: dict[str, int] | None = None) -> dict[str, int] | None:
            now = pids()
            if len(now) != n or (changed and now.get("b") == changed["b"]):
                return None
            return now

        first = poll(lambda: when(2), timeout_s=20, what="2 workers")
        supervisor.apply([_sleeper("a", "1"), _sleeper("b", "2"), _sleeper("c", "1")])
        after = poll(lambda: when(3, first), timeout_s=20, what="b restarted and c started")
        assert first is not None
        assert after is not None
        assert after["a"] == first["a"]  # unchanged: the same process
        supervisor.apply([_sleeper("c", "1")])
        poll(lambda: set(pids()) == {"c"}, timeout_s=20, what="a and b stopped")
        assert {s.camera_id: s.state for s in supervisor.statuses()} == {"c": "running"}
    finally:
        supervisor.stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert all(c.proc is None or c.proc.poll() is not None for c in supervisor.children)


def test_each_worker_gets_its_share_of_the_cores(tmp_path: Path) -> None:
    settings = BoxSettings(credentials=CREDENTIALS, state_dir=tmp_path)
    cpus = os.cpu_count() or 1

    def threads(spec_argv: tuple[str, ...]) -> int:
        assert spec_argv.count("--threads") == 1
        return int(spec_argv[spec_argv.index("--threads") + 1])

    assert threads(worker_spec(_camera(), settings).argv) == cpus
    assert threads(worker_spec(_camera(), settings, cameras=cpus).argv) == 1
    assert threads(worker_spec(_camera(), settings, cameras=cpus * 4).argv) == 1
    # one more camera re-divides the cores: the spec changes, so the supervisor restarts it
    camera = _camera()
    alone, shared = (worker_spec(camera, settings, cameras=n) for n in (1, 2))
    assert (alone != shared) == (cpus // 2 != cpus)


def test_the_box_worker_args_override_the_thread_share(tmp_path: Path) -> None:
    settings = BoxSettings(
        credentials=CREDENTIALS, state_dir=tmp_path, worker_args=("--threads", "3")
    )
    argv = worker_spec(_camera(), settings, cameras=8).argv
    assert argv.count("--threads") == 1
    assert argv[argv.index("--threads") + 1] == "3"
