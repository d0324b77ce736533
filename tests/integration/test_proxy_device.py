"""The stack's proxy container as a device: limits set live through its admin API, measured
from a client container on the internal network."""

import json
import urllib.request

import pytest

pytestmark = pytest.mark.integration

# Runs inside the loadgen container: `threads` loops fetch URL for `seconds`; prints bytes/s,
# requests and statuses seen. New connection per request (urllib), so every fetch also
# crosses the device's connection handling.
FETCH = """
import json, threading, time, urllib.request, urllib.error
url, threads, seconds = {url!r}, {threads}, {seconds}
total, statuses, retry_after, lock = [0], {{}}, set(), threading.Lock()
deadline = time.monotonic() + seconds
def loop():
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                n, status = len(r.read()), r.status
        except urllib.error.HTTPError as e:
            n, status = len(e.read()), e.code
            if e.headers.get("Retry-After"): retry_after.add(e.headers["Retry-After"])
        except OSError as e:
            n, status = 0, type(e).__name__
        with lock:
            total[0] += n
            statuses[str(status)] = statuses.get(str(status), 0) + 1
started = time.monotonic()
workers = [threading.Thread(target=loop) for _ in range(threads)]
[w.start() for w in workers]; [w.join() for w in workers]
print(json.dumps({{"rate": total[0] / (time.monotonic() - started), "statuses": statuses,
                  "retry_after": sorted(retry_after)}}))
"""


def admin(stack, method, path, body=None):
    request = urllib.request.Request(stack.url("proxy", 8474) + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def fetch(stack, threads=16, seconds=4.0, url="http://proxy:8081/v1/work"):
    return stack.run_python("loadgen", FETCH.format(url=url, threads=threads, seconds=seconds))


@pytest.fixture
def device(stack):
    """The stack's device; whatever a test changes is put back afterwards."""
    yield lambda patch: admin(stack, "PATCH", "/devices/border", patch)
    admin(stack, "PATCH", "/devices/border", {"downstream": None, "upstream": None, "connections": None})
    admin(stack, "PATCH", "/links/api", {"faults": None})


def test_bandwidth_is_shaped_and_changes_live(stack, device):
    device({"downstream": {"bytes_per_second": 0.5e6}})
    slow = fetch(stack)
    device({"downstream": {"bytes_per_second": 1.5e6}})
    fast = fetch(stack)
    # The clients could take several MB/s; the device lets through what it is set to. Within
    # 15%: responses carry headers too, and a window's edges cut requests in flight.
    assert 0.42e6 <= slow["rate"] <= 0.55e6, slow
    assert 1.27e6 <= fast["rate"] <= 1.65e6, fast
    state = admin(stack, "GET", "/devices/border")["state"]
    assert state["downstream"]["forwarded_bytes"] > 0


def test_connection_setup_rate_limits_new_connections(stack, device):
    device({"connections": {"new_per_second": 20, "backlog": 1000, "backlog_timeout_seconds": 10}})
    result = fetch(stack, threads=8, seconds=3.0, url="http://proxy:8053/v1/work")
    done = sum(result["statuses"].values())
    # one new connection per request, 20 set up per second: about 60 in 3 s (+ a burst of 1)
    assert 40 <= done <= 75, result


def test_an_http_fault_answers_with_retry_after(stack, device):
    admin(stack, "PATCH", "/links/api", {"faults": {"shed": {
        "type": "http_error", "probability": 0.5, "status": 503, "retry_after_seconds": 3}}})
    result = fetch(stack, threads=4, seconds=2.0)
    answered = result["statuses"]
    share = answered.get("503", 0) / sum(answered.values())
    assert 0.3 <= share <= 0.7, result
    assert result["retry_after"] == ["3"]
