"""The services' client against real service replicas (in-process), called through the very
script Stack.call_service runs in their containers: live settings read and changed, a bad
change refused with its problems, a membership announced under a new version each time."""

import pytest

from experiments.change_bodies import service_restore_body
from experiments.clients.services import ServicesClient
from experiments.errors import ComponentError
from tests.unit.experiments_live_components import ScriptCaller, service

API = {"name": "api", "replica": "a1", "capacity": {"workers": 2, "queue_limit": 50},
       "work": {"service_time_seconds": 0.01}}
DNS = {"name": "dns", "role": "dns", "replica": "d1", "membership": {"services": ["api"]}}


@pytest.fixture(scope="module")
def services():
    with service(API) as api, service(DNS) as dns:
        yield ServicesClient(ScriptCaller({"api": api, "dns": dns}))


def test_settings_read_changed_and_put_back(services):
    found = services.config("api")
    assert found["config"]["capacity"] == {"workers": 2, "queue_limit": 50}
    changed = services.patch_config("api", {"capacity": {"workers": 8}})
    assert changed["config"]["capacity"] == {"workers": 8, "queue_limit": 50}  # merged key by key
    back = services.patch_config("api", service_restore_body(found))
    assert back["config"] == found["config"]


def test_a_bad_change_names_its_replica_and_every_problem(services):
    with pytest.raises(ComponentError) as caught:
        services.patch_config("api", {"capacity": {"wrokers": 3}})
    error = caught.value
    assert (error.method, error.status) == ("PATCH", 400)
    assert error.url == "http://127.0.0.1:8080/admin/config in api-1"
    assert "answered 400: change refused; the settings in force are unchanged: capacity.wrokers: unknown key" in str(error)
    assert error.body["problems"]  # the component's body, parsed, for whoever wants the details


def test_each_announcement_is_a_new_version(services):
    endpoints = [{"replica": "a1", "address": "10.0.0.5:8080"}]
    first = services.announce_membership("api", endpoints)
    second = services.announce_membership("api", endpoints)  # same endpoints: republished anyway
    assert second == first + 1
    service_name, method, path, body = services.caller.calls[-1]
    assert (service_name, method, path) == ("dns", "PUT", "/admin/membership/api")
    assert body == {"endpoints": endpoints, "republish": True}
