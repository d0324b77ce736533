"""The peer: locust's own fast client (FastHttpUser, geventhttpclient), as fast as it goes, a
closed loop with no wait. ``STORMLAB_BENCH_CONNECTION_CLOSE=1``: a new connection per request
(``Connection: close``), as the naive clients open one per attempt."""

import os

from locust import FastHttpUser, constant, task

HEADERS = {"Connection": "close"} if os.environ.get("STORMLAB_BENCH_CONNECTION_CLOSE") == "1" else {}


class FastClient(FastHttpUser):
    wait_time = constant(0)

    @task
    def work(self):
        self.client.get("/", headers=HEADERS)
