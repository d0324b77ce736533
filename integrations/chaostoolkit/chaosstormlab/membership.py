"""The scaling trigger's announcement (stormlab docs/services.md, "The scaling trigger:
membership contract"): a service's replicas published again by every dns replica under a new
version (``republish``), so every client watching it drops its connections and reconnects.

Who the replicas are comes from Prometheus, which finds every replica through Docker's DNS
and labels its series with the replica's id and address: published ports are enough.

Where to publish is the part a stack of published ports cannot reach: dns's admin API
(``PUT /admin/membership/{service}``) is deliberately not published (docs/services.md, "Why
this shape"). So it is one of two ways, said in the configuration:

- ``stormlab_dns_admin_url``: the URL of that API where someone published it (e.g. a compose
  override publishing dns's port 8080 on loopback): one HTTP call;
- otherwise, as stormlab's own runner does it, inside each dns container of the compose
  project ``stormlab_compose_project`` (``docker exec``: needs the docker CLI and access to the
  Docker Engine that runs the stack).
"""

from __future__ import annotations

import json
import shutil
import subprocess

from chaoslib.exceptions import ActivityFailed

from chaosstormlab import promql
from chaosstormlab.http import Component, refusal
from chaosstormlab.prometheus import PrometheusApi
from chaosstormlab.settings import Settings

PUBLISHER = "dns"  # the compose service whose replicas publish every membership
DOCKER_TIMEOUT = 30.0

# Runs inside a dns container: one call to its own admin API, the answer as one JSON line
# (the same few lines as stormlab's runner sends, experiments/stack.py).
_CALL = """
import json, sys, urllib.request, urllib.error
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3]
request = urllib.request.Request("http://127.0.0.1:8080" + path, method=method,
    data=body.encode() if body else None, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print(json.dumps({"status": response.status, "body": json.loads(response.read() or b"null")}))
except urllib.error.HTTPError as error:
    text = error.read().decode(errors="replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    print(json.dumps({"status": error.code, "body": body}))
"""


def replica_endpoints(settings: Settings, service: str) -> list[dict]:
    """``[{"replica": id, "address": "ip:8080"}, ...]`` of every replica Prometheus scrapes, by address."""
    found = PrometheusApi(settings).series(promql.replicas(service))
    endpoints = {(s["metric"].get("replica"), s["metric"].get("instance")) for s in found}
    endpoints = [{"replica": r, "address": a} for r, a in endpoints if r and a]
    if not endpoints:
        raise ActivityFailed(f"Prometheus scrapes no replica of service {service!r} (no series "
                             f"{promql.replicas(service)}); expected the name of a service of the stack "
                             "(api, dns, kv, monitoring) whose replicas are up")
    return sorted(endpoints, key=lambda e: e["address"])


def announce(settings: Settings, service: str) -> dict:
    """Publishes ``service``'s replicas under a new version; ``{"service", "version",
    "endpoints", "via"}``."""
    endpoints = replica_endpoints(settings, service)
    body = {"endpoints": endpoints, "republish": True}
    path = f"/admin/membership/{service}"
    if settings.dns_admin_url:
        dns = Component("dns's admin API", settings.dns_admin_url, "stormlab_dns_admin_url",
                        settings.http_timeout)
        answers, via = [dns.call("PUT", path, json=body)], settings.dns_admin_url
    else:
        answers, via = _in_containers(settings.compose_project, "PUT", path, body), "docker exec"
    return {"service": service, "version": answers[0].get("version"), "endpoints": len(endpoints), "via": via}


def _in_containers(project: str, method: str, path: str, body: dict) -> list[dict]:
    docker = shutil.which("docker")
    if docker is None:
        raise ActivityFailed(
            "announcing a membership needs dns's admin API, which the stack does not publish: expected "
            "either the docker CLI on this machine (the announcement then runs inside each dns container of "
            "compose project stormlab_compose_project, as stormlab's runner does) or "
            "stormlab_dns_admin_url in the configuration, where that API is published")
    containers = _run([docker, "ps", "--quiet", "--filter", f"label=com.docker.compose.project={project}",
                       "--filter", f"label=com.docker.compose.service={PUBLISHER}"],
                      "list the dns containers")
    ids = containers.split()
    if not ids:
        raise ActivityFailed(f"no running {PUBLISHER} container in compose project {project!r}; expected "
                             "stormlab_compose_project (default: $COMPOSE_PROJECT_NAME, else stormlab) to "
                             "name the running stack's project")
    answers = []
    for container in ids:
        output = _run([docker, "exec", container, "python3", "-c", _CALL, method, path, json.dumps(body)],
                      f"call dns's admin API in container {container}")
        try:
            answer = json.loads(output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ActivityFailed(f"dns container {container} answered {method} {path} with no JSON: "
                                 f"{output[-300:]!r}") from None
        if answer["status"] >= 400:
            raise ActivityFailed(refusal(f"dns's admin API (in container {container})", method, path,
                                         answer["status"], answer.get("body")))
        answers.append(answer.get("body") or {})
    return answers


def _run(command: list[str], what: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=DOCKER_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ActivityFailed(f"could not {what}: docker did not answer within {DOCKER_TIMEOUT:g} s") from None
    if done.returncode != 0:
        raise ActivityFailed(f"could not {what}: `{' '.join(command[:3])} ...` exited {done.returncode}: "
                             f"{done.stderr.strip()[-300:]}")
    return done.stdout
