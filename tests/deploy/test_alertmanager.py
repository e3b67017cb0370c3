"""Alertmanager routing: amtool accepts the config, and a real Alertmanager running it pages
critical alerts, sends warnings to chat and holds back what the inhibition rules explain."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.deploy.paths import ALERTMANAGER, run, tool
from tests.support.processes import free_port, poll


def test_amtool_accepts_the_config() -> None:
    result = run(tool("amtool"), "check-config", ALERTMANAGER)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=MetricaCameraDown"], "pager"),
        (["severity=warning", "alertname=MetricaDiskLow"], "chat"),
        (["alertname=SomethingWithoutSeverity"], "chat"),
    ],
)
def test_routes_by_severity(labels: list[str], receiver: str) -> None:
    result = run(
        tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receiver


class _Webhooks:
    """A local webhook receiver standing in for the pager and the chat bridge."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hooks.received.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def alerts_at(self, path: str) -> set[tuple[str, str]]:
        return {
            (alert["labels"]["alertname"], alert["labels"].get("camera", "")
             or alert["labels"].get("path", ""))
            for received_path, body in list(self.received)
            if received_path == path
            for alert in body["alerts"]
        }  # fmt: skip


@pytest.fixture
def webhooks() -> Iterator[_Webhooks]:
    hooks = _Webhooks()
    thread = threading.Thread(target=hooks.server.serve_forever, daemon=True)
    thread.start()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


def _local_config(webhooks_url: str, directory: Path) -> Path:
    """The shipped config with its receivers pointed here and its waits shortened."""
    config = yaml.safe_load(ALERTMANAGER.read_text())
    config["route"]["group_wait"] = "1s"
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            hook["url"] = f"{webhooks_url}/{receiver['name']}"
    path = directory / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _alert(name: str, severity: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "severity": severity, **labels}}


def test_a_real_alertmanager_pages_chats_and_inhibits(webhooks: _Webhooks, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            tool("prometheus-alertmanager"),
            f"--config.file={_local_config(webhooks.url, tmp_path)}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v2"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/status", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout_s=30, what="Alertmanager to answer")
        box = {"instance": "box1:9108"}
        sent = [
            _alert("MetricaCameraDown", "critical", camera="c1", **box),
            _alert("MetricaPipelineStalled", "critical", camera="c1", **box),
            _alert("MetricaFpsBelowTarget", "warning", camera="c1", **box),
            _alert("MetricaFpsBelowTarget", "warning", camera="c2", **box),
            _alert("MetricaDiskCritical", "critical", instance="server:8000", path="data"),
            _alert("MetricaDiskLow", "warning", instance="server:8000", path="data"),
            _alert("MetricaDiskLow", "warning", instance="server:8000", path="blobs"),
            _alert("MetricaBackupStale", "critical"),
            _alert("MetricaIngestRejected", "warning"),
        ]
        assert httpx.post(f"{base}/alerts", json=sent, timeout=5).status_code == 200

        def inhibited() -> set[tuple[str, str]] | None:
            alerts = httpx.get(f"{base}/alerts", timeout=2).json()
            if len(alerts) < len(sent):
                return None
            return {
                (a["labels"]["alertname"], a["labels"].get("camera") or a["labels"].get("path", ""))
                for a in alerts
                if a["status"]["inhibitedBy"]
            }

        expected_inhibited = {
            ("MetricaPipelineStalled", "c1"),
            ("MetricaFpsBelowTarget", "c1"),
            ("MetricaDiskLow", "data"),
        }
        assert poll(inhibited, timeout_s=20, what="all alerts listed") == expected_inhibited

        expected_pager = {
            ("MetricaCameraDown", "c1"),
            ("MetricaDiskCritical", "data"),
            ("MetricaBackupStale", ""),
        }
        expected_chat = {
            ("MetricaFpsBelowTarget", "c2"),
            ("MetricaDiskLow", "blobs"),
            ("MetricaIngestRejected", ""),
        }

        def delivered() -> bool:
            return (
                webhooks.alerts_at("/pager") >= expected_pager
                and webhooks.alerts_at("/chat") >= expected_chat
            )

        poll(delivered, timeout_s=30, what="the pager and chat webhooks to receive")
        assert webhooks.alerts_at("/pager") == expected_pager
        assert webhooks.alerts_at("/chat") == expected_chat
    finally:
        process.terminate()
        process.wait(timeout=10)
