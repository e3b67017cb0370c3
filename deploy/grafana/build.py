"""Generate Metrica's Grafana dashboards: `uv run python deploy/grafana/build.py`.

The JSON under deploy/grafana/dashboards/ is this module's output and nothing else
(tests/deploy/test_grafana.py regenerates it and compares byte for byte, and checks that
every query names a metric of the contract in deploy/metric_names.py). Change a dashboard
here, run the command, commit both.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "metrica-prometheus"}
RATE = "$__rate_interval"
WIDTH = 24


@dataclass(frozen=True, slots=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    width: int = 12
    height: int = 8
    description: str = ""
    thresholds: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[dict[str, Any], ...] = field(default=())


def q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


def quantile(p: float, histogram: str, by: str, selector: str = "") -> str:
    """p-quantile of a histogram over the panel's rate interval, per `by` labels."""
    return (
        f"histogram_quantile({p}, sum by (le, {by}) (rate({histogram}_bucket{selector}[{RATE}])))"
    )


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": color, "value": value} for color, value in panel.thresholds]
    return {
        "datasource": DATASOURCE,
        "description": panel.description,
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "thresholds": {"mode": "absolute", "steps": steps},
            },
            "overrides": [],
        },
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "id": panel_id,
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}}
        if panel.kind == "timeseries"
        else {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"},
        "targets": [
            {
                "datasource": DATASOURCE,
                "expr": query.expr,
                "legendFormat": query.legend,
                "refId": chr(ord("A") + i),
            }
            for i, query in enumerate(panel.queries)
        ],
        "title": panel.title,
        "type": panel.kind,
    }


def dashboard_json(dashboard: Dashboard) -> dict[str, Any]:
    """Grafana's dashboard model; panels flow left to right, then down."""
    panels, x, y, row_height = [], 0, 0, 0
    for panel_id, panel in enumerate(dashboard.panels, start=1):
        if x + panel.width > WIDTH:
            x, y, row_height = 0, y + row_height, 0
        panels.append(_panel_json(panel, panel_id, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return {
        "annotations": {"list": []},
        "description": dashboard.description,
        "editable": False,
        "graphTooltip": 1,
        "links": [],
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["metrica"],
        "templating": {"list": list(dashboard.variables)},
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "browser",
        "title": dashboard.title,
        "uid": dashboard.uid,
        "version": 1,
    }


def camera_variable() -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "definition": "label_values(metrica_worker_fps, camera)",
        "includeAll": False,
        "label": "Camera",
        "name": "camera",
        "query": {"query": "label_values(metrica_worker_fps, camera)", "refId": "camera"},
        "refresh": 2,
        "sort": 1,
        "type": "query",
    }


CAM = '{camera="$camera"}'

FLEET = Dashboard(
    uid="metrica-fleet",
    title="Metrica / Fleet overview",
    description="Every camera and edge box at a glance: which are down, slow or behind.",
    panels=(
        Panel("Cameras by state (backend view)",
              (q("sum by (state) (metrica_cameras)", "{{state}}"),), kind="stat", width=8),
        Panel("Streams down", (q("count(metrica_worker_stream_up == 0) or vector(0)"),),
              kind="stat", width=4, thresholds=(("red", 1),)),
        Panel("Boxes not scraped", (q('count(up{job="metrica-worker"} == 0) or vector(0)'),),
              kind="stat", width=4, thresholds=(("red", 1),)),
        Panel("Backend unreachable from",
              (q("count(metrica_worker_backend_up == 0) or vector(0)"),),
              kind="stat", width=4, thresholds=(("orange", 1),)),
        Panel("Worker keys refused", (q("sum(metrica_worker_auth_rejected) or vector(0)"),),
              kind="stat", width=4, thresholds=(("red", 1),)),
        Panel("Frames per second by camera",
              (q("metrica_worker_fps", "{{camera}}"),), unit="fps"),
        Panel("Frame rate against target",
              (q("metrica_worker_fps / metrica_worker_target_fps", "{{camera}}"),),
              unit="percentunit"),
        Panel("Crossings counted per second",
              (q(f"sum(rate(metrica_worker_events_counted_total[{RATE}]))", "counted"),
               q(f"sum(rate(metrica_events_ingested_total[{RATE}]))", "stored by the backend"))),
        Panel("Outbox depth by camera", (q("metrica_worker_outbox_depth", "{{camera}}"),)),
        Panel("Edge disk free",
              (q("metrica_worker_disk_free_bytes / metrica_worker_disk_total_bytes",
                 "{{instance}}"),), unit="percentunit"),
        Panel("Stream reconnects per hour",
              (q("sum by (camera) (increase(metrica_worker_stream_reconnects_total[1h]))",
                 "{{camera}}"),)),
        Panel("Versions running", (q("sum by (version) (metrica_build_info)", "{{version}}"),),
              kind="stat", width=24, height=4),
    ),
)  # fmt: skip

CAMERA = Dashboard(
    uid="metrica-camera",
    title="Metrica / Camera",
    description="One camera's pipeline, from decode to delivery. Pick the camera above.",
    variables=(camera_variable(),),
    panels=(
        Panel("Stream up", (q(f"max(metrica_worker_stream_up{CAM})"),), kind="stat", width=6),
        Panel("Backend up", (q(f"max(metrica_worker_backend_up{CAM})"),), kind="stat", width=6),
        Panel("Outbox depth", (q(f"max(metrica_worker_outbox_depth{CAM})"),),
              kind="stat", width=6, thresholds=(("orange", 1000),)),
        Panel("Key refused", (q(f"max(metrica_worker_auth_rejected{CAM})"),),
              kind="stat", width=6, thresholds=(("red", 1),)),
        Panel("Frames per second",
              (q(f"metrica_worker_fps{CAM}", "fps"),
               q(f"metrica_worker_target_fps{CAM}", "target")), unit="fps"),
        Panel("Frames processed and dropped per second",
              (q(f"sum(rate(metrica_worker_frames_total{CAM}[{RATE}]))", "processed"),
               q(f"sum(rate(metrica_worker_frames_dropped_total{CAM}[{RATE}]))", "dropped"))),
        Panel("Stage latency p95",
              (q(quantile(0.95, "metrica_worker_stage_seconds", "stage", CAM), "{{stage}}"),),
              unit="s"),
        Panel("Inference latency",
              (q(quantile(0.5, "metrica_worker_inference_seconds", "camera", CAM), "p50"),
               q(quantile(0.95, "metrica_worker_inference_seconds", "camera", CAM), "p95")),
              unit="s"),
        Panel("Events counted, sent, quarantined per second",
              (q(f"sum(rate(metrica_worker_events_counted_total{CAM}[{RATE}]))", "counted"),
               q(f"sum(rate(metrica_worker_events_sent_total{CAM}[{RATE}]))", "sent"),
               q(f"sum(rate(metrica_worker_events_quarantined_total{CAM}[{RATE}]))",
                 "quarantined"))),
        Panel("Send failures by reason",
              (q(f"sum by (reason) (rate(metrica_worker_send_failures_total{CAM}[{RATE}]))",
                 "{{reason}}"),)),
        Panel("Send latency",
              (q(quantile(0.5, "metrica_worker_send_seconds", "camera", CAM), "p50"),
               q(quantile(0.95, "metrica_worker_send_seconds", "camera", CAM), "p95")),
              unit="s"),
        Panel("Outbox and drops",
              (q(f"metrica_worker_outbox_depth{CAM}", "depth"),
               q(f"increase(metrica_worker_outbox_dropped_total{CAM}[1h])", "dropped per hour"),
               q(f"increase(metrica_worker_stream_reconnects_total{CAM}[1h])",
                 "reconnects per hour"))),
    ),
)  # fmt: skip

API = Dashboard(
    uid="metrica-api",
    title="Metrica / API",
    description="The backend's HTTP traffic, errors, latency and event ingestion.",
    panels=(
        Panel("Requests per second by route",
              (q(f"sum by (route) (rate(metrica_http_requests_total[{RATE}]))", "{{route}}"),),
              unit="reqps"),
        Panel("5xx ratio",
              (q(f'sum(rate(metrica_http_requests_total{{status=~"5.."}}[{RATE}])) '
                 f"/ sum(rate(metrica_http_requests_total[{RATE}]))", "5xx"),),
              unit="percentunit", thresholds=(("red", 0.02),)),
        Panel("p99 latency by route",
              (q(quantile(0.99, "metrica_http_request_duration_seconds", "route"), "{{route}}"),),
              unit="s"),
        Panel("p50 / p95 latency, all routes",
              (q(quantile(0.5, "metrica_http_request_duration_seconds", "job"), "p50"),
               q(quantile(0.95, "metrica_http_request_duration_seconds", "job"), "p95")),
              unit="s"),
        Panel("Requests in flight", (q("sum(metrica_http_requests_in_flight)", "in flight"),)),
        Panel("Responses by status",
              (q(f"sum by (status) (rate(metrica_http_requests_total[{RATE}]))", "{{status}}"),),
              unit="reqps"),
        Panel("Events per second",
              (q(f"sum(rate(metrica_events_ingested_total[{RATE}]))", "stored"),
               q(f"sum(rate(metrica_events_duplicate_total[{RATE}]))", "duplicate"),
               q(f"sum by (reason) (rate(metrica_events_rejected_total[{RATE}]))",
                 "rejected: {{reason}}")), width=24),
    ),
)  # fmt: skip

DATABASE = Dashboard(
    uid="metrica-database",
    title="Metrica / Database and storage",
    description="Connection pool, disk, backups and retention.",
    panels=(
        Panel("Connection pool",
              (q("sum(metrica_db_pool_size)", "size"),
               q("sum(metrica_db_pool_in_use)", "in use"),
               q("sum(metrica_db_pool_waiting)", "waiting"))),
        Panel("Disk free by path",
              (q("metrica_disk_free_bytes / metrica_disk_total_bytes", "{{instance}} {{path}}"),),
              unit="percentunit", thresholds=(("orange", 0.8), ("red", 0.9))),
        Panel("Age of the newest backup",
              (q("time() - max(metrica_backup_last_success_timestamp_seconds)", "age"),),
              unit="s", kind="stat", thresholds=(("red", 26 * 3600),)),
        Panel("Rows deleted by retention per day",
              (q("sum by (table) (increase(metrica_retention_rows_deleted_total[1d]))",
                 "{{table}}"),)),
    ),
)  # fmt: skip

QUEUE = Dashboard(
    uid="metrica-queue",
    title="Metrica / Job queues",
    description="Background job queues: backlog, duration and outcomes.",
    panels=(
        Panel("Queue depth", (q("sum by (queue) (metrica_jobs_queue_depth)", "{{queue}}"),)),
        Panel("Job duration p95",
              (q(quantile(0.95, "metrica_job_duration_seconds", "queue"), "{{queue}}"),),
              unit="s"),
        Panel("Jobs finished per second by outcome",
              (q(f"sum by (queue, outcome) (rate(metrica_job_duration_seconds_count[{RATE}]))",
                 "{{queue}} {{outcome}}"),)),
        Panel("Failed jobs per hour",
              (q("sum by (queue) (increase(metrica_jobs_failed_total[1h]))", "{{queue}}"),)),
    ),
)  # fmt: skip

ALL = (FLEET, CAMERA, API, DATABASE, QUEUE)


def render() -> dict[str, str]:
    """File name -> JSON text, exactly as committed."""
    return {
        f"{d.uid}.json": json.dumps(dashboard_json(d), indent=2, sort_keys=True) + "\n" for d in ALL
    }


def main(argv: list[str]) -> int:
    """Write the dashboards; with --check, only say whether the committed ones are current."""
    rendered = render()
    if "--check" in argv:
        stale = [
            name
            for name, text in rendered.items()
            if not (DASHBOARDS / name).exists() or (DASHBOARDS / name).read_text() != text
        ]
        for name in stale:
            print(f"stale: deploy/grafana/dashboards/{name}", file=sys.stderr)
        return 1 if stale else 0
    DASHBOARDS.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (DASHBOARDS / name).write_text(text)
    print(f"wrote {len(rendered)} dashboards to {DASHBOARDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
