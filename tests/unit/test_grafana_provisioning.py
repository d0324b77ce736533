"""Dashboards load: valid JSON, unique panel ids, the provisioned datasource, known metrics."""

import json
import re
from pathlib import Path

import yaml

from stormlab_common import metric_names

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "grafana/dashboards").glob("*.json"))
KNOWN = {v for k, v in vars(metric_names).items() if k.isupper() and str(v).startswith("stormlab_")}


def provisioned_uid() -> str:
    datasources = yaml.safe_load((ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    return source["uid"]


def panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def test_there_is_a_dashboard_and_each_is_consistent():
    assert DASHBOARDS, "no dashboards under grafana/dashboards"
    uid = provisioned_uid()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        ids = [panel["id"] for panel in panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels(dashboard):
            for target in [panel, *panel.get("targets", [])]:
                if "datasource" in target:
                    assert target["datasource"]["uid"] == uid, f"{path.name}: panel {panel['title']}"


def test_every_query_names_metrics_that_exist():
    for path in DASHBOARDS:
        for panel in panels(json.loads(path.read_text())):
            for target in panel.get("targets", []):
                for name in re.findall(r"stormlab_[a-z_]+", target["expr"]):
                    base = re.sub(r"_(bucket|count|sum)$", "", name)
                    assert name in KNOWN or base in KNOWN, f"{path.name}: {panel['title']}: {name}"


def test_the_provider_reads_the_folder_compose_mounts():
    provider = yaml.safe_load((ROOT / "grafana/provisioning/dashboards/stormlab.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts
