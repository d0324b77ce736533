"""The benchmarks' readers of wrk's summary and of pyinstrument's flat profiles."""

import pytest

from benchmarks.profiles import summary
from benchmarks.proxy_bench.native import parse_wrk

WRK = """Running 5s test @ http://127.0.0.1:40001/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.90ms    2.01ms  28.21ms   67.50%
    Req/Sec     3.41k   463.75     4.20k    67.50%
  16927 requests in 5.00s, 2.50MB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   3385.46
Transfer/sec:    511.23KB
"""


def test_wrk_summary():
    assert parse_wrk(WRK) == {"per_second": 3385.46, "socket_errors": 6, "non_2xx": 4}
    clean = "\n".join(line for line in WRK.splitlines() if "errors" not in line and "Non-2xx" not in line)
    assert parse_wrk(clean) == {"per_second": 3385.46, "socket_errors": 0, "non_2xx": 0}


def test_wrk_without_a_rate_is_an_error_with_its_output():
    with pytest.raises(RuntimeError, match="wrk printed no rate"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


FLAT = """
  _     ._   __/__   _ _  _  _ _/_   Recorded: 06:04:49  Samples:  11845
Program: proxy

1.000 [self]  loadgen/logical_request.py
0.500 _wrefsocket.connect_ex  <built-in>
0.300 socket.recv  gevent/_socketcommon.py:648
0.200 MutexValue.inc  prometheus_client/values.py:27
"""


def test_a_flat_profile_is_summed_by_library_and_by_function():
    by_group, functions = summary(FLAT, top=2)
    assert by_group == [{"where": "loadgen", "share of samples": "50%"},
                        {"where": "built-ins (socket calls, ...)", "share of samples": "25%"},
                        {"where": "gevent", "share of samples": "15%"},
                        {"where": "prometheus_client", "share of samples": "10%"}]
    assert [row["function"] for row in functions] == ["[self]", "_wrefsocket.connect_ex"]
