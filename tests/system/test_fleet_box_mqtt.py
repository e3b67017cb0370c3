"""A fleet box over MQTT end to end, with real processes: PostgreSQL, `metrica serve` with
its MQTT consumer, a Mosquitto with Metrica's ACL and password file, and `metrica edge run
--mqtt-url` counting the shared clip. The box's config arrives pushed (retained), its
worker's events go through the broker into the database exactly as `metrica count`
counts them, its heartbeats arrive, and a revocation stops it (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.backend import Backend, provision, stored
from tests.support.data import PLAZA
from tests.support.fleet import admin_client, edge, start_box
from tests.support.mosquitto import SERVER_PASSWORD, Broker
from tests.support.mqtt_processes import admit
from tests.support.processes import poll
from tests.system.test_fleet_box import QUICK_WORKER
from tests.system.test_worker_backend import FAULT_STRIDE, metrica_count, total


def _connected(url: str) -> bool:
    try:
        return "metrica_mqtt_connected 1.0" in httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return False


def test_a_box_counts_a_clip_over_mqtt(pg_url: str, tmp_path: Path) -> None:
    expected = metrica_count(FAULT_STRIDE)
    with Broker(tmp_path / "broker") as broker:
        env = {
            "METRICA_MQTT_URL": broker.url,
            "METRICA_MQTT_PASSWORD": SERVER_PASSWORD,
            "METRICA_MQTT_CONFIG_PUSH_S": "1",
            "METRICA_MQTT_CLIENT_ID": "metrica-e2e",
        }
        with Backend(pg_url, env=env) as backend:
            camera = provision(pg_url)
            admin = admin_client(backend.url, pg_url)
            store_id = admin.get(f"/admin/cameras/{camera.camera_id}").json()["store_id"]
            token = admin.post("/admin/fleet/enrolment-tokens", json={"store_id": store_id})
            (tmp_path / "token").write_text(token.json()["token"])
            box_dir = tmp_path / "box"
            enrolled = edge(
                "enroll", "--api-url", backend.url, "--token-file", str(tmp_path / "token"),
                "--state-dir", str(box_dir),
            )  # fmt: skip
            assert enrolled.returncode == 0, enrolled.stderr
            box_id = json.loads((box_dir / "credentials.json").read_text())["box_id"]
            settings = {"source": str(PLAZA.clip), "model": "yolox_nano", "stride": FAULT_STRIDE}
            r = admin.put(f"/admin/fleet/cameras/{camera.camera_id}/settings", json=settings)
            assert r.status_code == 200, r.text
            r = admin.put(f"/admin/fleet/cameras/{camera.camera_id}/box", json={"box_id": box_id})
            assert r.status_code == 200, r.text
            admit(broker, pg_url)  # `metrica mqtt acl --password-file` + SIGHUP
            poll(lambda: _connected(backend.url), timeout_s=60, what="the consumer connected")

            run = start_box(box_dir, "--mqtt-url", broker.url, "--heartbeat-s", "1",
                            *QUICK_WORKER)  # fmt: skip
            try:

                def counted() -> bool:
                    assert run.proc.poll() is None, f"the box died:\n{run.tail()}"
                    got = stored(pg_url, camera.camera_id)
                    return got.rows >= total(expected)

                poll(counted, timeout_s=300, what="the clip's events over MQTT")
                got = stored(pg_url, camera.camera_id)
                assert got.counts == {k: c for k, c in expected.items() if c["in"] + c["out"]}
                assert got.rows == got.distinct_ids == total(expected)

                def online() -> dict[str, Any] | None:
                    found = admin.get(f"/admin/fleet/boxes/{box_id}").json()
                    return found if found["online"] and found["camera_states"] else None

                poll(online, timeout_s=30, what="the box's heartbeat over MQTT")
                assert "mqtt_messages_total" in httpx.get(f"{backend.url}/metrics").text

                r = admin.post(f"/admin/fleet/boxes/{box_id}/revoke")
                assert r.status_code == 200
                poll(lambda: run.proc.poll() is not None, timeout_s=60, what="the box to stop")
                assert run.proc.returncode == 3, run.tail()
            finally:
                run.stop()
