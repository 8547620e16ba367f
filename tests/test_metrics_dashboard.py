"""The Grafana dashboard in docs/grafana asks only for metrics the worker serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from pyconnect_flow.engine.task_metrics import MetricsReporter, task_counts
from pyconnect_flow.runtime.metrics import ConnectorView, registry, render

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana" / "kafka-connect-dashboard.json"


def _served_names(tmp_path: Path) -> set[str]:
    for name, kind in (("dash-source", "source"), ("dash-sink", "sink")):
        counts = task_counts(name, kind)
        counts.read += 3
        counts.written += 2
        counts.error(tolerated=True, logged=False, dead_letter=True)
    MetricsReporter(tmp_path, progress_interval_s=0).write()
    views = [ConnectorView("dash-source", "RUNNING", "FileStreamSource", "source", tmp_path, {0: "RUNNING"}),
             ConnectorView("dash-sink", "FAILED", "FileStreamSink", "sink", tmp_path, {0: "FAILED"})]
    text = render(registry(lambda: views)).decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_every_metric_of_the_dashboard_is_served(tmp_path: Path) -> None:
    served = _served_names(tmp_path)
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs.append(dashboard["templating"]["list"][1]["query"]["query"])
    wanted = {name for expr in exprs for name in re.findall(r"kafka_connect_\w+", expr)}
    assert len(wanted) >= 8
    assert wanted <= served, wanted - served
