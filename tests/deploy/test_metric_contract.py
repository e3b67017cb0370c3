"""The contract (deploy/metric_names.py) against what the server and the worker export.

Rules and dashboards are checked against the contract (test_prometheus, test_grafana);
this file checks that the code exports every contract metric.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from deploy.metric_names import CONTRACT, ours
from tests.deploy.exported import server_series, worker_series
from tests.deploy.paths import DEPLOY, RULES
from tests.deploy.promql import grafana_to_promql, selected_names


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, frozenset[str]]]:
    return {
        "worker": worker_series(),
        "server": server_series(tmp_path_factory.mktemp("server")),
    }


@pytest.mark.parametrize("side", ["worker", "server"])
def test_the_code_exports_every_contract_metric(
    side: str, exported: dict[str, dict[str, frozenset[str]]]
) -> None:
    wanted = {name for m in ours() if m.side == side for name in m.series_names()}
    missing = wanted - exported[side].keys()
    assert missing == set(), "contract metrics the code does not export"


def test_rules_and_dashboards_read_what_the_code_exports(
    exported: dict[str, dict[str, frozenset[str]]],
) -> None:
    """Directly: every metric a rule or a panel selects is exported by our code (or pending),
    or is one of the contract's external series (up, blackbox)."""
    queries = [
        rule["expr"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    ]
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        queries += [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    selected = set().union(*(selected_names(grafana_to_promql(q)) for q in queries))
    external = {name for m in CONTRACT if m.side == "external" for name in m.series_names()}
    available = exported["worker"].keys() | exported["server"].keys()
    assert selected - available - external == set()
    assert len(selected) > 30


def test_server_labels_match_the_contract(exported: dict[str, dict[str, frozenset[str]]]) -> None:
    """Labels only show once a labelled series has a sample; the server's unlabelled and
    pre-created series are compared (the worker's camera label: see prometheus.yml)."""
    for metric in ours():
        if metric.side != "server":
            continue
        for name in metric.series_names() & exported["server"].keys():
            labels = exported["server"][name]
            assert labels <= set(metric.labels), f"{name}: {labels} not in the contract"


def test_the_worker_names_its_camera_by_a_label_the_scrape_config_maps(
    exported: dict[str, dict[str, frozenset[str]]],
) -> None:
    """The contract says `camera`; the worker says `camera_id` today and prometheus.yml
    renames it. Either is fine, anything else would break every edge rule."""
    labels = exported["worker"]["metrica_worker_send_failures_total"]
    assert labels & {"camera", "camera_id"}, labels
    config = (Path(__file__).resolve().parents[2] / "deploy/prometheus/prometheus.yml").read_text()
    if "camera_id" in labels:
        assert "source_labels: [camera_id]" in config
