"""The extension's actions against real HTTP servers standing in for the proxy's admin API and
locust's: the requests they send, what they record to put back, and how they refuse."""

import json
import socket
import sys
import time

import pytest

from tests.unit.chaostoolkit_support import fake_stack

from chaoslib.exceptions import ActivityFailed  # isort: skip  (after the skip if not installed)
from chaosstormlab import actions, loadgen, membership  # isort: skip


@pytest.fixture
def stack():
    with fake_stack() as found:
        yield found


def test_device_limits_are_a_merge_patch_of_the_device(stack):
    done = actions.set_device_limits("border", {"connections": {"new_per_second": 100}},
                                     configuration=stack.configuration)
    assert stack.proxy.called("PATCH", "/devices/border")[0].body == {"connections": {"new_per_second": 100}}
    assert done["created"] is False and done["config"]["connections"]["new_per_second"] == 100


def test_a_refused_change_says_what_the_proxy_said(stack):
    stack.proxy.refusal = (400, {"error": "change to device 'border' refused (1 problem); nothing changed",
                                 "problems": ["connections.new_per_second: expected a positive number, got -1"]})
    with pytest.raises(ActivityFailed) as refused:
        actions.set_device_limits("border", {"connections": {"new_per_second": -1}},
                                  configuration=stack.configuration)
    assert str(refused.value) == (
        "the proxy's admin API refused PATCH /devices/border (HTTP 400): change to device 'border' refused "
        "(1 problem); nothing changed; problems: connections.new_per_second: expected a positive number, got -1")


def test_an_unknown_device_is_refused_with_the_devices_there_are(stack):
    with pytest.raises(ActivityFailed, match=r"the proxy has no device 'nope'; expected one of: border \(or "
                                             r"create_if_missing: true to create it\)"):
        actions.set_device_limits("nope", {"connections": {"backlog": 10}}, configuration=stack.configuration)
    assert stack.proxy.called("PATCH") == [] and stack.proxy.called("POST") == []


def test_a_missing_device_is_created_when_asked_and_deleted_by_the_restore(stack):
    actions.set_device_limits("dns-path", {"connections": {"backlog": 10}}, create_if_missing=True,
                              configuration=stack.configuration)
    assert stack.proxy.called("POST", "/devices")[0].body == {"name": "dns-path", "connections": {"backlog": 10}}
    actions.move_link("dns", "dns-path", configuration=stack.configuration)
    restored = actions.restore_proxy(configuration=stack.configuration)
    assert restored["restored"] == ["link dns: put back", "device dns-path: deleted (this run created it)"]
    assert stack.proxy.links["dns"]["device"] == "border" and "dns-path" not in stack.proxy.devices


def test_bad_limits_are_refused_before_any_call(stack):
    with pytest.raises(ActivityFailed, match=r"limits: expected a non-empty mapping"):
        actions.set_device_limits("border", [], configuration=stack.configuration)
    assert stack.proxy.calls == []


def test_the_restore_puts_back_exactly_what_changed(stack):
    config = stack.configuration
    actions.set_device_limits("border", {"connections": {"new_per_second": 100, "setup_cost_bytes": 4000},
                                         "downstream": {"bytes_per_second": 1500000}}, configuration=config)
    actions.set_device_limits("border", {"connections": {"backlog": 4096}}, configuration=config)
    actions.add_fault("api", "shed", {"type": "http_error", "probability": 0.2}, configuration=config)
    patches = len(stack.proxy.called("PATCH"))
    actions.restore_proxy(configuration=config)
    sent = [call.body for call in stack.proxy.called("PATCH")[patches:]]
    assert sent == [  # the restoring patches: changed keys set back, added ones nulled
        {"faults": {"shed": None}},
        {"downstream": {"bytes_per_second": None},
         "connections": {"new_per_second": None, "backlog": 1024, "setup_cost_bytes": 0}},
    ]
    assert stack.proxy.links["api"]["faults"] == {} and stack.proxy.devices["border"]["connections"]["backlog"] == 1024
    assert actions.restore_proxy(configuration=config) == {"restored": [], "failed": []}  # nothing left


def test_a_fault_is_added_and_removed_by_name(stack):
    config = stack.configuration
    actions.add_fault("api", "shed", {"type": "http_error", "probability": 0.2}, configuration=config)
    assert stack.proxy.called("PATCH", "/links/api")[0].body == {
        "faults": {"shed": {"type": "http_error", "probability": 0.2}}}
    assert actions.remove_fault("api", "shed", configuration=config)["removed"] is True
    assert stack.proxy.called("PATCH", "/links/api")[1].body == {"faults": {"shed": None}}
    assert actions.remove_fault("api", "shed", configuration=config)["removed"] is False  # already gone
    assert len(stack.proxy.called("PATCH")) == 2


def test_an_unknown_link_is_refused_with_the_links_there_are(stack):
    with pytest.raises(ActivityFailed, match=r"the proxy has no link 'nope'; expected one of: dns, api"):
        actions.move_link("nope", "border", configuration=stack.configuration)


def test_a_fault_without_a_type_is_refused(stack):
    with pytest.raises(ActivityFailed, match=r"fault: expected a mapping with its type"):
        actions.add_fault("api", "shed", {"probability": 0.2}, configuration=stack.configuration)


def test_clients_start_and_stop_through_locusts_api(stack):
    actions.start_clients(50, 25, configuration=stack.configuration)
    assert stack.loadgen.called("POST", "/swarm")[0].body == {"user_count": "50", "spawn_rate": "25"}
    assert actions.stop_clients(configuration=stack.configuration)["stopped"] is True
    assert stack.loadgen.called("POST", "/stop")


def test_stopping_falls_back_to_get_where_locust_only_takes_that(stack):
    stack.loadgen.on("POST", "/stop", (405, {"error": "method not allowed"}))
    stack.loadgen.on("GET", "/stop", (200, {"success": True}))
    actions.stop_clients(configuration=stack.configuration)
    assert stack.loadgen.called("GET", "/stop")


@pytest.mark.parametrize("count", [0, -3, 2.5, True, 5000])
def test_a_bad_client_count_is_refused_before_any_call(stack, count):
    with pytest.raises(ActivityFailed, match=r"count: expected a whole number of clients from 1 to 2000"):
        actions.start_clients(count, configuration=stack.configuration)
    assert stack.loadgen.calls == []


def test_locust_refusing_a_swarm_fails_with_its_message(stack):
    stack.loadgen.on("POST", "/swarm", (200, {"success": False, "message": "no workers connected"}))
    with pytest.raises(ActivityFailed, match=r"locust\) refused to run 50 clients: no workers connected"):
        actions.start_clients(50, configuration=stack.configuration)


def test_a_client_config_replaces_the_profiles_and_waits_for_every_worker(stack):
    stack.loadgen.lag = 3
    done = actions.configure_clients({"clients": {"internal": {"policy": {"name": "naive"}}}}, seed=7,
                                     configuration=stack.configuration)
    assert stack.loadgen.called("PUT", "/stormlab/config")[0].body == {
        "clients": {"sdk": None, "internal": {"policy": {"name": "naive"}}}, "seed": 7}
    assert done == {"generation": 1, "workers": {"worker-1": 1}}
    assert len(stack.loadgen.called("GET", "/stormlab/config")) >= 3  # polled until the worker had it


def test_workers_that_never_apply_a_config_fail_it(stack, monkeypatch):
    stack.loadgen.lag = None
    monkeypatch.setattr(loadgen, "APPLY_TIMEOUT", 0.5)
    monkeypatch.setattr(loadgen.LoadgenApi.put_config, "__defaults__", (0.5,))
    with pytest.raises(ActivityFailed, match=r"workers did not apply config generation 1 within 0.5 s "
                                             r"\(generation each applied: \{'worker-1': 0\}\)"):
        actions.configure_clients({"seed": 1}, configuration=stack.configuration)


def test_a_policy_switch_leaves_no_parameter_of_the_old_one(stack):
    actions.switch_retry_policy({"name": "retry-budget", "mode": "ratio", "ratio": 0.1},
                                configuration=stack.configuration)
    assert stack.loadgen.called("PUT", "/stormlab/config")[0].body == {"clients": {"sdk": {"policy": {
        "max_attempts": None, "base_seconds": None, "cap_seconds": None,
        "name": "retry-budget", "mode": "ratio", "ratio": 0.1}}}}


def test_a_policy_switch_names_the_profiles_there_are(stack):
    with pytest.raises(ActivityFailed, match=r"profiles: no client profile 'good'; expected some of those in "
                                             r"force: sdk"):
        actions.switch_retry_policy({"name": "naive"}, profiles=["good"], configuration=stack.configuration)


def test_the_clients_config_is_put_back_as_the_run_found_it(stack):
    stack.loadgen.patch = {"seed": 3}
    actions.switch_retry_policy({"name": "naive"}, configuration=stack.configuration)
    actions.restore_clients_config(configuration=stack.configuration)
    assert stack.loadgen.called("PUT", "/stormlab/config")[-1].body == {"seed": 3}


def test_an_unreachable_component_is_named_with_its_setting():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(ActivityFailed, match=rf"cannot reach the proxy's admin API at {url} \(ConnectionError: .*"
                                             r"\); expected the stack to be up and stormlab_proxy_url in the "
                                             r"experiment's configuration to point at it"):
        actions.move_link("dns", "border", configuration={"stormlab_proxy_url": url})


def test_a_bad_url_in_the_configuration_is_refused():
    with pytest.raises(ActivityFailed, match=r"configuration stormlab_loadgen_url: expected an http\(s\) URL "
                                             r"such as http://127.0.0.1:8089, got 'localhost:8089'"):
        actions.stop_clients(configuration={"stormlab_loadgen_url": "localhost:8089"})


def test_wait_is_scaled_by_the_time_scale(stack):
    started = time.monotonic()
    assert actions.wait(10, configuration={"stormlab_time_scale": 0.01}) == {"waited_seconds": 0.1}
    assert 0.1 <= time.monotonic() - started < 1.0
    assert actions.wait(10, time_scale=0.001)["waited_seconds"] == pytest.approx(0.01)
    with pytest.raises(ActivityFailed, match=r"seconds: expected a number of seconds >= 0, got -1"):
        actions.wait(-1)
    with pytest.raises(ActivityFailed, match=r"time_scale: expected a number in \(0, 10\]"):
        actions.wait(1, time_scale=0)


@pytest.fixture
def announced(stack, monkeypatch):
    """dns's admin API where it is published (stormlab_dns_admin_url), and Prometheus's replicas."""
    from tests.unit.experiments_http_fake import FakeHttp

    with FakeHttp() as dns:
        dns.on("PUT", "/admin/membership/api", lambda call: (200, {"service": "api", "version": 4, "changed": True}))
        stack.prometheus.series['stormlab_service_limit_workers{job="services",service="api"}'] = [
            {"metric": {"replica": "b2", "instance": "172.18.0.9:8080"}, "value": [0, "8"]},
            {"metric": {"replica": "a1", "instance": "172.18.0.4:8080"}, "value": [0, "8"]}]
        yield {**stack.configuration, "stormlab_dns_admin_url": dns.url}, dns


def test_the_trigger_boots_announces_surges_and_falls_back(stack, announced):
    configuration, dns = announced
    actions.start_clients(50, configuration=stack.configuration)
    done = actions.fire_scaling_trigger(4, 15, membership="api", boot_fetch=True, time_scale=0.01,
                                        configuration=configuration)
    assert stack.loadgen.called("PUT", "/stormlab/config")[0].body == {"fetch_on_start": True}
    assert dns.called("PUT")[0].body == {"republish": True, "endpoints": [
        {"replica": "a1", "address": "172.18.0.4:8080"}, {"replica": "b2", "address": "172.18.0.9:8080"}]}
    swarms = [call.body for call in stack.loadgen.called("POST", "/swarm")]
    assert swarms[1:] == [{"user_count": "200", "spawn_rate": "4000"}, {"user_count": "50", "spawn_rate": "4000"}]
    assert done == {"baseline_clients": 50, "surge_clients": 200, "duration_seconds": 0.15, "boot_fetch": True,
                    "membership": {"service": "api", "version": 4, "endpoints": 2,
                                   "via": configuration["stormlab_dns_admin_url"]}}


@pytest.mark.parametrize("arguments, refused", [
    ({"surge_factor": -2}, r"surge_factor: expected a number from 1 to 100 .*got -2"),
    ({"surge_factor": "x4"}, r"surge_factor: expected a number from 1 to 100 .*got 'x4'"),
    ({"duration_seconds": 0}, r"duration_seconds: expected a number of seconds > 0, got 0"),
    ({"baseline_clients": 0}, r"baseline_clients: expected a whole number from 1 to 2000"),
    ({"membership": ""}, r"membership: expected the name of a service \(e.g. 'api'\) or null, got ''"),
    ({"boot_fetch": "yes"}, r"boot_fetch: expected true or false, got 'yes'"),
])
def test_a_bad_trigger_is_refused_before_anything_changes(stack, arguments, refused):
    with pytest.raises(ActivityFailed, match=refused):
        actions.fire_scaling_trigger(**arguments, configuration=stack.configuration)
    assert stack.loadgen.called("POST") == [] and stack.loadgen.called("PUT") == []


def test_a_trigger_with_no_clients_running_says_so(stack):
    with pytest.raises(ActivityFailed, match=r"no clients are running to surge from"):
        actions.fire_scaling_trigger(configuration=stack.configuration)


def test_an_announcement_without_docker_or_a_published_dns_says_what_it_needs(stack, announced, monkeypatch):
    monkeypatch.setattr(membership.shutil, "which", lambda name: None)
    actions.start_clients(50, configuration=stack.configuration)
    with pytest.raises(ActivityFailed, match=r"announcing a membership needs dns's admin API, which the stack "
                                             r"does not publish: expected either the docker CLI .* or "
                                             r"stormlab_dns_admin_url"):
        actions.fire_scaling_trigger(membership="api", configuration=stack.configuration)


def test_an_announcement_of_a_service_prometheus_does_not_know_is_refused(stack, announced):
    configuration, _ = announced
    actions.start_clients(50, configuration=stack.configuration)
    with pytest.raises(ActivityFailed, match=r"Prometheus scrapes no replica of service 'nope'"):
        actions.fire_scaling_trigger(membership="nope", configuration=configuration)


def test_reset_proxy_puts_back_a_definition_and_deletes_the_rest(stack, tmp_path):
    stack.proxy.devices["dns-path"] = {}
    stack.proxy.devices["border"]["connections"]["new_per_second"] = 100.0
    definition = tmp_path / "config.yml"
    definition.write_text("devices:\n  border:\n    connections: {backlog: 1024}\n"
                          "links:\n  dns: {listen_port: 8053, upstream: 'dns:8080', device: border, protocol: http}\n"
                          "  api: {listen_port: 8081, upstream: 'api:8080', device: border, protocol: http}\n")
    done = actions.reset_proxy(str(definition), configuration=stack.configuration)
    assert "device dns-path: deleted (the definition does not have it)" in done["restored"]
    assert stack.proxy.devices["border"]["connections"] == {"backlog": 1024}  # the rest back to defaults
    with pytest.raises(ActivityFailed, match=r"definition: cannot read the proxy config"):
        actions.reset_proxy(str(tmp_path / "missing.yml"), configuration=stack.configuration)


def test_the_announcement_runs_in_each_dns_container_without_a_published_dns(stack, announced, tmp_path,
                                                                              monkeypatch):
    calls = tmp_path / "calls"
    docker = tmp_path / "docker"  # stands in for the docker CLI: two dns replicas, each answering 200
    docker.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                      "print('c1\\nc2' if sys.argv[1] == 'ps' else json.dumps(\n"
                      "    {'status': 200, 'body': {'service': 'api', 'version': 9}}))\n")
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    actions.start_clients(50, configuration=stack.configuration)
    done = actions.fire_scaling_trigger(1, 0.01, membership="api",
                                        configuration={**stack.configuration, "stormlab_compose_project": "lab-7"})
    ps, *execs = [json.loads(line) for line in calls.read_text().splitlines()]
    assert ps == ["ps", "--quiet", "--filter", "label=com.docker.compose.project=lab-7",
                  "--filter", "label=com.docker.compose.service=dns"]
    assert [call[:3] for call in execs] == [["exec", "c1", "python3"], ["exec", "c2", "python3"]]
    assert execs[0][-3:] == ["PUT", "/admin/membership/api", json.dumps({"endpoints": [
        {"replica": "a1", "address": "172.18.0.4:8080"}, {"replica": "b2", "address": "172.18.0.9:8080"}],
        "republish": True})]
    assert done["membership"] == {"service": "api", "version": 9, "endpoints": 2, "via": "docker exec"}
    assert len(stack.loadgen.called("POST", "/swarm")) == 1  # a factor of 1: no surge, only the announcement


def _fake_checkout(root, code: int, record: dict | None) -> None:
    """A stormlab checkout whose runner writes ``record`` as a run and exits ``code``."""
    (root / "experiments").mkdir()
    (root / "experiments" / "__init__.py").write_text("")
    (root / "experiments" / "__main__.py").write_text(
        "import json, pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "results = pathlib.Path(args[args.index('--results') + 1])\n"
        f"record = {record!r}\n"
        "if record:\n"
        "    run = results / '20260101T000000Z-retry-storm'\n"
        "    run.mkdir(parents=True)\n"
        "    (run / 'run.json').write_text(json.dumps({**record, 'argv': args}))\n"
        "    print(f'  report: {run / \"report.md\"}')\n"
        "else:\n"
        "    print('experiments: nope: no such scenario', file=sys.stderr)\n"
        f"sys.exit({code})\n")


def test_a_scenario_runs_with_stormlabs_runner_and_answers_its_verdict(tmp_path):
    record = {"format": 2, "status": "complete", "scenario": {"name": "retry-storm"}, "time_scale": 0.5,
              "verdict": {"verdict": "metastable", "expected": "metastable", "matches": True, "reason": "r"},
              "figures": {"baseline_goodput": {"value": 57.9}}, "checks": []}
    _fake_checkout(tmp_path, 0, record)
    done = actions.run_scenario("retry-storm", time_scale=0.5, results="out", configuration={
        "stormlab_repository": str(tmp_path), "stormlab_python": sys.executable,
        "stormlab_compose_project": "lab-7"})
    assert (done["verdict"], done["matches"], done["figures"], done["exit_code"]) == (
        "metastable", True, {"baseline_goodput": 57.9}, 0)
    argv = json.loads((tmp_path / "out" / "20260101T000000Z-retry-storm" / "run.json").read_text())["argv"]
    assert argv == ["run", "retry-storm", "--no-start", "--no-progress", "--time-scale", "0.5", "--results",
                    str(tmp_path / "out"), "--project", "lab-7"]


def test_a_scenario_the_runner_refuses_fails_with_its_words(tmp_path):
    _fake_checkout(tmp_path, 2, None)
    with pytest.raises(ActivityFailed, match=r"the runner refused scenario 'nope' \(exit 2\): experiments: nope: "
                                             r"no such scenario"):
        actions.run_scenario("nope", configuration={"stormlab_repository": str(tmp_path),
                                                    "stormlab_python": sys.executable})
    with pytest.raises(ActivityFailed, match=r"configuration stormlab_repository: .* is not a stormlab checkout"):
        actions.run_scenario("retry-storm", configuration={"stormlab_repository": str(tmp_path / "elsewhere")})
