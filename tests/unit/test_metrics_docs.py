"""Every metric a component registers uses a shared name and has a row in docs/metrics.md."""

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from loadgen.metrics import ClientMetrics
from proxy.metrics import ProxyMetrics
from services.metrics import ServiceMetrics
from stormlab_common import metric_names

ROOT = Path(__file__).resolve().parents[2]
SHARED_NAMES = {v for k, v in vars(metric_names).items()
                if k.isupper() and isinstance(v, str) and v.startswith("stormlab_")}


def registered_names() -> dict[str, set[str]]:
    names = {}
    for component, metrics_class in [("proxy", ProxyMetrics), ("services", ServiceMetrics),
                                     ("loadgen", ClientMetrics)]:
        registry = CollectorRegistry()
        metrics_class(registry)
        names[component] = {family.name + ("_total" if family.type == "counter" else "")
                            for family in registry.collect()}
    return names


def test_components_register_only_shared_names():
    for component, names in registered_names().items():
        assert names <= SHARED_NAMES, f"{component} registers unshared names {names - SHARED_NAMES}"
        prefix = {"proxy": "stormlab_proxy_", "services": "stormlab_service_", "loadgen": "stormlab_client_"}
        assert all(name.startswith(prefix[component]) for name in names)


def test_every_shared_name_has_a_row_in_the_docs_table():
    documented = set(re.findall(r"^\| `(stormlab_[a-z_]+)`", (ROOT / "docs/metrics.md").read_text(), re.M))
    assert SHARED_NAMES - documented == set(), "undocumented metrics"
    assert documented - SHARED_NAMES == set(), "documented metrics no component exports"
