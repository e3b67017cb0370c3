"""The alert rules: valid for promtool, unit-tested one rule at a time, each with a runbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.metric_names import allowed_series
from tests.deploy.paths import (
    OPERATIONS,
    PROMETHEUS,
    RULE_TESTS,
    RULES,
    github_anchors,
    run,
    tool,
)
from tests.deploy.promql import selected_names

RUNBOOK_BASE = "https://metrica.example/docs/operations.md#"


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _alert_cases() -> list[dict[str, Any]]:
    cases = []
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def test_promtool_checks_the_rules() -> None:
    result = run(tool("promtool"), "check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in result.stdout


def test_promtool_checks_the_scrape_config() -> None:
    result = run(tool("promtool"), "check", "config", PROMETHEUS / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    assert RULE_TESTS, "no rule tests in deploy/prometheus/tests"
    result = run(tool("promtool"), "test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_a_broken_threshold_fails_the_unit_tests(tmp_path: Path) -> None:
    """The unit tests can fail: a backup rule at 28 h instead of 26 h is caught."""
    broken = RULES.read_text().replace("> 26 * 3600", "> 28 * 3600")
    assert broken != RULES.read_text()
    (tmp_path / "rules.yml").write_text(broken)
    (tmp_path / "tests").mkdir()
    suite = yaml.safe_load((PROMETHEUS / "tests" / "server.yml").read_text())
    suite["tests"] = [t for t in suite["tests"] if "26 hours" in t["name"]]
    assert len(suite["tests"]) == 1
    (tmp_path / "tests" / "backup.yml").write_text(yaml.safe_dump(suite))
    result = run(tool("promtool"), "test", "rules", tmp_path / "tests" / "backup.yml")
    assert result.returncode != 0
    assert "MetricaBackupStale" in result.stdout + result.stderr


def test_every_rule_fires_in_one_case_and_stays_silent_in_another() -> None:
    cases = _alert_cases()
    firing = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    names = {rule["alert"] for rule in _alerts()}
    assert names - firing == set(), "rules without a firing case"
    assert names - silent == set(), "rules without a silent case"
    assert (firing | silent) - names == set(), "tests of rules that do not exist"


@pytest.mark.parametrize("rule", _alerts(), ids=lambda rule: rule["alert"])
def test_every_rule_has_a_severity_and_a_runbook_that_exists(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning"}
    url = rule["annotations"]["runbook_url"]
    assert url == RUNBOOK_BASE + rule["alert"].lower()
    anchor = url.removeprefix(RUNBOOK_BASE)
    assert anchor in github_anchors(OPERATIONS.read_text()), f"no runbook #{anchor}"
    assert rule["annotations"]["summary"].strip()


def test_rules_name_only_contract_metrics() -> None:
    unknown = {rule["alert"]: selected_names(rule["expr"]) - allowed_series() for rule in _alerts()}
    assert {alert: names for alert, names in unknown.items() if names} == {}


def test_the_rule_names_are_unique() -> None:
    names = [rule["alert"] for rule in _alerts()]
    assert len(names) == len(set(names))
