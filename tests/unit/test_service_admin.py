"""GET/PATCH /admin/config: live changes are merge patches checked by the contract; bad
changes refused whole (400 malformed, 409 conflicting with the settings in force)."""

import asyncio

from prometheus_client import CollectorRegistry

from services.app import make_app
from services.config import config_from
from stormlab_common.model import dump


def make(registry):
    config = config_from({"name": "api", "replica": "r1", "capacity": {"workers": 1, "queue_limit": 50},
                          "work": {"service_time_seconds": 0.1}})
    return make_app(config, registry)


def gauge(registry, name, **labels):
    return registry.get_sample_value(name, {"service": "api", "replica": "r1", **labels})


async def test_config_round_trips_through_its_schema_shape():
    config = config_from({"name": "kv", "role": "kv", "replica": "k1",
                          "work": {"distribution": "lognormal", "service_time_seconds": 0.02,
                                   "p99_seconds": 0.1},
                          "mitigations": {"admission_control": {"enabled": True}}})
    assert config_from(dump(config)) == config


async def test_a_live_change_applies_at_once(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry))
    assert (await (await client.get("/admin/config")).json())["config"]["capacity"]["workers"] == 1
    response = await client.patch("/admin/config", json={
        "capacity": {"workers": 4}, "mitigations": {"admission_control": {"enabled": True}}})
    assert response.status == 200
    assert (await response.json())["config"]["capacity"] == {"workers": 4, "queue_limit": 50}
    assert gauge(registry, "stormlab_service_limit_workers") == 4
    assert gauge(registry, "stormlab_service_capacity_requests_per_second") == 40
    assert gauge(registry, "stormlab_service_mitigation_enabled", mitigation="admission_control") == 1
    # Four workers now: four 100 ms requests finish together.
    loop = asyncio.get_running_loop()
    started = loop.time()
    statuses = [r.status for r in await asyncio.gather(*(client.get("/v1/work") for _ in range(4)))]
    assert statuses == [200] * 4
    assert 0.1 <= loop.time() - started < 0.1 + 0.25  # not 0.4 s, as one worker would take


async def test_a_bad_change_is_refused_with_every_problem_and_changes_nothing(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry))
    before = await (await client.get("/admin/config")).json()
    cases = [
        ({"capacity": {"workers": 0, "wrokers": 2}},
         ["capacity.wrokers: unknown key; expected one of: queue_limit, workers",
          "capacity.workers: expected a number >= 1, got 0"]),
        ({"port": 1},
         ["port: cannot change while running (live sections: capacity, work, queue, mitigations)"]),
    ]
    conflicting = ({"work": {"distribution": "lognormal", "p99_seconds": 0.05}},
                   ["work.p99_seconds: expected a number above the mean (0.1) and at most 15.0 times it "
                    "for a lognormal, got 0.05"])
    for change, problems in [*cases, conflicting]:
        response = await client.patch("/admin/config", json=change)
        assert response.status == (409 if (change, problems) == conflicting else 400), change
        body = await response.json()
        assert body["problems"] == problems
        assert "expected" in body
    response = await client.patch("/admin/config", data=b"{not json",
                                  headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["error"]
    response = await client.patch("/admin/config", json=[1, 2])
    assert response.status == 400
    assert (await client.get("/admin/config")).status == 200
    assert await (await client.get("/admin/config")).json() == before
    assert gauge(registry, "stormlab_service_limit_workers") == 1
    labels = {"service": "api", "endpoint": "admin_config_change", "replica": "r1"}
    bad = "stormlab_service_bad_requests_total"
    refused = {reason: registry.get_sample_value(bad, {**labels, "reason": reason})
               for reason in ("invalid_config", "config_conflict", "malformed_json")}
    assert refused == {"invalid_config": 3, "config_conflict": 1, "malformed_json": 1}
