"""A fleet box end to end, with real processes on SQLite and PostgreSQL: `metrica edge
enroll` with a one-time token, `metrica edge run` counting the camera the admin assigned
(events land), a settings change applied within a poll (the heartbeat reports the new
config), revocation (the box's next request is refused, it stops every worker and exits
3), and enrolment again only with a new token."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backend import Backend, provision, stored
from tests.support.data import PLAZA
from tests.support.fleet import admin_client, edge, start_box
from tests.support.processes import poll

QUICK_WORKER = (
    "--worker-arg=--send-every-s=0.5",
    "--worker-arg=--heartbeat-s=2",
    "--worker-arg=--config-poll-s=2",
    "--worker-arg=--snapshot-s=600",
)


@pytest.fixture(params=["sqlite", "pg"])
def backend(request: pytest.FixtureRequest) -> Backend:
    found: Backend = request.getfixturevalue(f"{request.param}_backend")
    return found


def _issue(admin: httpx.Client, store_id: str) -> str:
    r = admin.post("/admin/fleet/enrolment-tokens", json={"store_id": store_id})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


def _store_of(admin: httpx.Client, camera_id: str) -> str:
    store_id: str = admin.get(f"/admin/cameras/{camera_id}").json()["store_id"]
    return store_id


def test_enrol_run_reconfigure_revoke(backend: Backend, tmp_path: Path) -> None:
    camera = provision(backend.db_url)
    admin = admin_client(backend.url, backend.db_url)
    store_id = _store_of(admin, camera.camera_id)
    token = _issue(admin, store_id)
    token_file = tmp_path / "token"
    token_file.write_text(token)
    box_dir = tmp_path / "box"
    enrolled = edge(
        "enroll", "--api-url", backend.url, "--token-file", str(token_file),
        "--state-dir", str(box_dir),
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    assert token not in enrolled.stdout + enrolled.stderr
    credentials_file = box_dir / "credentials.json"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    credentials: dict[str, Any] = json.loads(credentials_file.read_text())

    twice = edge(
        "enroll", "--api-url", backend.url, "--token", "-", "--state-dir", str(tmp_path / "b2"),
        stdin=token + "\n",
    )  # fmt: skip
    assert twice.returncode == 2
    assert "already used" in twice.stderr
    assert token not in twice.stderr

    r = admin.put(
        f"/admin/fleet/cameras/{camera.camera_id}/settings",
        json={"source": str(PLAZA.clip), "model": "yolox_nano", "stride": 3},
    )
    assert r.status_code == 200, r.text
    r = admin.put(
        f"/admin/fleet/cameras/{camera.camera_id}/box", json={"box_id": credentials["box_id"]}
    )
    assert r.status_code == 200, r.text

    box = httpx.Client(
        base_url=backend.url, headers={"X-Box-Key": credentials["box_key"]}, timeout=10
    )

    def camera_version() -> str:
        [cam] = box.get("/fleet/box/config").json()["cameras"]
        version: str = cam["version"]
        return version

    def reported(version: str) -> dict[str, Any] | None:
        assert run.proc.poll() is None, f"the box died:\n{run.tail()}"
        found = admin.get(f"/admin/fleet/boxes/{credentials['box_id']}").json()
        states = [s for s in found["camera_states"] if s["config_version"] == version]
        return found if states and found["online"] else None

    run = start_box(box_dir, "--poll-s", "1", "--heartbeat-s", "1", *QUICK_WORKER)
    try:
        first = camera_version()
        poll(lambda: stored(backend.db_url, camera.camera_id).rows, timeout_s=180,
             what="events from the box's worker")  # fmt: skip
        seen = poll(lambda: reported(first), timeout_s=60, what="a heartbeat with the camera")
        assert seen is not None
        assert seen["drift"] == "current"
        assert seen["cpu_percent"] is not None
        assert seen["memory_percent"] is not None

        r = admin.put(
            f"/admin/fleet/cameras/{camera.camera_id}/settings",
            json={"model": "yolox_nano", "stride": 4},
        )
        assert r.status_code == 200
        second = camera_version()
        assert second != first
        poll(lambda: reported(second), timeout_s=30, what="the box to apply the new settings")

        r = admin.post(f"/admin/fleet/boxes/{credentials['box_id']}/revoke")
        assert r.status_code == 200
        assert box.get("/fleet/box/config").status_code == 401
        poll(lambda: run.proc.poll() is not None, timeout_s=60, what="the revoked box to stop")
        assert run.proc.returncode == 3, run.tail()
        assert "revoked" in run.tail()
    finally:
        run.stop()

    again = edge(
        "enroll", "--api-url", backend.url, "--token-file", str(token_file),
        "--state-dir", str(box_dir), "--force",
    )  # fmt: skip
    assert again.returncode == 2
    token_file.write_text(_issue(admin, store_id))
    fresh = edge(
        "enroll", "--api-url", backend.url, "--token-file", str(token_file),
        "--state-dir", str(box_dir), "--force",
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(credentials_file.read_text())["box_id"] != credentials["box_id"]


def test_run_refuses_credentials_others_can_read(tmp_path: Path) -> None:
    box_dir = tmp_path / "box"
    box_dir.mkdir()
    (box_dir / "credentials.json").write_text(
        json.dumps({"api_url": "http://127.0.0.1:9", "box_id": "b", "store_id": "s",
                    "box_key": "mbx_x"})
    )  # fmt: skip
    (box_dir / "credentials.json").chmod(0o644)
    refused = edge("run", "--state-dir", str(box_dir))
    assert refused.returncode == 2
    assert "mode 0644" in refused.stderr
    assert "mbx_x" not in refused.stderr
