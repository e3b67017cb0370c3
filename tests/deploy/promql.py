"""Which series a PromQL query selects, read with a real PromQL parser (promql-parser)."""

from __future__ import annotations

import re

import promql_parser

# Grafana fills these in before Prometheus sees the query.
_GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
}
_TEMPLATE_VARIABLE = re.compile(r"\$\{?(\w+)\}?")


def grafana_to_promql(query: str) -> str:
    """A dashboard query as Prometheus receives it (template variables filled with examples)."""
    for variable, value in _GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    return _TEMPLATE_VARIABLE.sub("example", query)


def selected_names(query: str) -> set[str]:
    """Metric names of every vector selector in `query` (raises ValueError if it won't parse)."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(query), visit)
    return names
