"""What the runner reads from Prometheus after a run: every named series and every check's
own query, over the same range and step, from a Prometheus HTTP API on a real socket."""

import pytest

from experiments.checks import evaluate_checks
from experiments.clients.prometheus import PrometheusClient
from experiments.runner import STEP_SECONDS, _collect, _with_timeline
from stormlab_common.queries import BY_NAME, QUERIES
from tests.unit.experiments_http_fake import FakeHttp
from tests.unit.experiments_support import QUERY, partial_run, scenario

STARTED = 1_795_000_000.0
ELAPSED = 120.0
CHECK_VALUE = 12.3  # what the check's query measures after the move at 60 s


def matrix(values, metric=None):
    return {"metric": metric or {}, "values": [[STARTED + t, str(v)] for t, v in values]}


def answer_for(query: str) -> list[dict]:
    """Prometheus's answer: the check's query rises after the move; every named series is 1."""
    if query == QUERY:
        return [matrix([(t, CHECK_VALUE if t >= 60 else 0.0) for t in range(121)])]
    family = next((q for q in QUERIES if q.by and query == q.expression("6s")), None)
    if family is not None:
        return [matrix([(0, 1.0)], {family.by: "dns"}), matrix([(0, 2.0)], {family.by: "kv"})]
    return [matrix([(t, 1.0) for t in range(121)])]


def body(result: list[dict]) -> dict:
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


@pytest.fixture
def prometheus():
    with FakeHttp() as fake:
        fake.on("GET", "/api/v1/query_range", lambda call: (200, body(answer_for(call.query["query"]))))
        yield fake


def test_a_query_check_is_recorded_beside_the_named_series_and_evaluated(prometheus):
    run, notes = scenario(), []
    series = _collect(PrometheusClient(prometheus.url), run, STARTED, ELAPSED, notes)
    assert notes == []
    calls = prometheus.called("GET", "/api/v1/query_range")
    assert [c.query["query"] for c in calls] == [q.expression("6s") for q in QUERIES] + [QUERY]
    assert {(c.query["start"], c.query["end"], c.query["step"]) for c in calls} == {
        (str(STARTED), str(STARTED + ELAPSED + 2), str(STEP_SECONDS))}  # one range and step for all
    assert series["check:1"][0] == (0.0, 0.0) and series["check:1"][60] == (60.0, CHECK_VALUE)
    assert series["goodput:dns"] == [(0.0, 1.0)] and series["goodput:kv"] == [(0.0, 2.0)]
    assert series["capacity"] == series["connection_setup_limit"]
    by_series = {check.series: check for check in evaluate_checks(run, series)}
    query_check = by_series["check:1"]
    assert query_check.query == QUERY and query_check.value == pytest.approx(CHECK_VALUE)
    assert query_check.passed and query_check.absolute_threshold == 10


def test_a_failed_query_or_one_of_many_series_is_a_note_and_the_rest_is_kept(prometheus):
    def broken(query):
        if query == BY_NAME["latency_p99"].expression("6s"):
            raise RuntimeError("no histogram")  # the fake answers 500
        if query == QUERY:
            return [matrix([(0, 1.0)], {"target": "dns"}), matrix([(0, 2.0)], {"target": "kv"})]
        return answer_for(query)

    def answer(call):
        try:
            return 200, body(broken(call.query["query"]))
        except RuntimeError as exc:
            return 500, {"status": "error", "error": str(exc)}

    prometheus.on("GET", "/api/v1/query_range", answer)
    notes = []
    series = _collect(PrometheusClient(prometheus.url), scenario(), STARTED, ELAPSED, notes)
    assert "latency_p99" not in series and "check:1" not in series and "goodput" in series
    latency, check = notes
    assert latency.startswith("series latency_p99 not recorded: GET ") and "answered 500" in latency
    assert check.startswith("series check:1 not recorded: its query returned 2 series ({'target': 'dns'}")
    assert "aggregate it, e.g. with sum(...)" in check
    unrecorded = evaluate_checks(scenario(), series)[1]
    assert unrecorded.value is None and not unrecorded.passed


def test_a_timeline_the_record_cannot_take_is_a_note_not_a_lost_run():
    notes = []
    record = _with_timeline(partial_run(), [{"name": "start", "kind": "start"}], notes)
    assert record == partial_run()
    assert notes[0].startswith("timeline not recorded: ConfigError: invalid timeline as executed:")
    assert "timeline.0.planned_seconds: required key is missing" in notes[0]
