"""The kustomize base and overlays: rendered by `kubectl kustomize`, validated against the
Kubernetes schemas of a pinned version (kubernetes-validate, strict), and held to the
rules of the deploy: probes on the health routes, non-root, secrets only by reference.

The one custom resource, the Prometheus Operator's ServiceMonitor, has no schema there;
it is listed in CRD_KINDS and checked by hand (test_the_service_monitor_scrapes_the_server).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # no type hints shipped
import pytest
import yaml

from metrica.cli import COMMANDS
from tests.deploy.paths import DEPLOY, run, tool

KUBERNETES_VERSION = "1.31.0"
OVERLAYS = ("pilot", "production")
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
SECRET_LIKE = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$|DATABASE_URL|REDIS_URL")


def _render(overlay: str) -> list[dict[str, Any]]:
    result = run(tool("kubectl"), "kustomize", DEPLOY / "k8s" / "overlays" / overlay)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, _render(request.param)


def _by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def _pod_specs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = [d["spec"]["template"]["spec"] for d in docs if d["kind"] in {"Deployment", "Job"}]
    specs += [
        d["spec"]["jobTemplate"]["spec"]["template"]["spec"] for d in _by_kind(docs, "CronJob")
    ]
    return specs


def test_every_resource_is_valid_for_the_pinned_kubernetes(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    kinds = {doc["kind"] for doc in docs}
    assert {
        "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
        "NetworkPolicy", "Job", "CronJob", "ServiceMonitor", "ConfigMap", "ServiceAccount",
        "PersistentVolumeClaim",
    } <= kinds  # fmt: skip
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert (
            doc["metadata"]["namespace"]
            == {
                "pilot": "metrica-pilot",
                "production": "metrica",
            }[overlay]
        )


def test_the_validator_rejects_a_wrong_field() -> None:
    deployment = next(d for d in _render("pilot") if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = (
        "/health"
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_only_the_listed_custom_resources_lack_a_schema(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    unknown = set()
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION)
        except kubernetes_validate.SchemaNotFoundError:
            unknown.add((doc["apiVersion"], doc["kind"]))
    assert unknown == CRD_KINDS


def test_the_server_probes_the_health_routes(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    (deployment,) = _by_kind(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["image"].startswith("registry.example/metrica/metrica-server:")
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]


def test_every_pod_runs_non_root_without_privileges(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    specs = _pod_specs(docs)
    assert len(specs) == 4  # server, migration, retention, backup
    for spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"]["drop"] == ["ALL"]


def test_secrets_are_only_referenced(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    assert _by_kind(docs, "Secret") == []
    for spec in _pod_specs(docs):
        for container in spec["containers"]:
            for variable in container.get("env", []):
                if SECRET_LIKE.search(variable["name"]):
                    assert "value" not in variable, variable["name"]
                    assert variable["valueFrom"]["secretKeyRef"]["name"] == "metrica-secrets"
    for config_map in _by_kind(docs, "ConfigMap"):
        assert not any(SECRET_LIKE.search(key) for key in config_map["data"])


def test_jobs_run_commands_that_exist(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    subcommands = []
    for spec in _pod_specs(docs):
        for container in spec["containers"]:
            words = shlex.split(" ".join(container.get("command", [])))
            subcommands += [words[i + 1] for i, word in enumerate(words[:-1]) if word == "metrica"]
    assert {"retention", "backup"} <= set(subcommands)
    assert set(subcommands) - set(COMMANDS) == set(), "manifests run unknown commands"


def test_the_migration_job_runs_alembic_from_the_image() -> None:
    (job,) = _by_kind(_render("production"), "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["alembic", "-c", "/app/alembic.ini", "upgrade", "head"]
    dockerfile = (DEPLOY / "docker" / "server.Dockerfile").read_text()
    assert "COPY alembic.ini ./" in dockerfile
    assert "WORKDIR /app" in dockerfile


def test_the_service_monitor_scrapes_the_server(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    (monitor,) = _by_kind(docs, "ServiceMonitor")
    (service,) = _by_kind(docs, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    port_names = {port["name"] for port in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in port_names
        assert endpoint["path"] == "/metrics"
    # The alert rules select job="metrica-server".
    assert {"targetLabel": "job", "replacement": "metrica-server"} in monitor["spec"]["endpoints"][
        0
    ]["relabelings"]


def test_selectors_find_the_server_pods(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    (deployment,) = _by_kind(docs, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (service,) = _by_kind(docs, "Service")
    (pdb,) = _by_kind(docs, "PodDisruptionBudget")
    (hpa,) = _by_kind(docs, "HorizontalPodAutoscaler")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    for policy in _by_kind(docs, "NetworkPolicy"):
        assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()


def test_the_overlays_differ_where_they_should() -> None:
    replicas = {
        overlay: next(d for d in _render(overlay) if d["kind"] == "Deployment")["spec"]["replicas"]
        for overlay in OVERLAYS
    }
    assert replicas == {"pilot": 1, "production": 3}
