"""The experiment state's live goodput, read from the lab's Prometheus with a client of its
own and a short timeout (it is read from the pushing thread, never slowing the run)."""

from types import SimpleNamespace

from experiments.clients.prometheus import PrometheusClient
from experiments.experiment_state import ExperimentState
from stormlab_common.queries import BY_NAME
from tests.unit.experiments_http_fake import FakeHttp


def test_for_run_reads_the_goodput_query_from_the_labs_prometheus():
    with FakeHttp() as prometheus:
        prometheus.on("GET", "/api/v1/query", (200, {"status": "success", "data": {
            "result": [{"metric": {}, "value": [1.0, "57.5"]}]}}))
        lab = SimpleNamespace(pushgateway=None, prometheus=PrometheusClient(prometheus.url))
        scenario = SimpleNamespace(name="retry-storm", warmup=16.0)
        notes = []
        state = ExperimentState.for_run(scenario, lab, notes, "6s")
        assert state._goodput() == 57.5
    assert prometheus.calls[0].query == {"query": BY_NAME["goodput"].expression("6s")}
    assert notes == ["experiment state not published: the stack has no Pushgateway (port 9091)"]
