"""The contrast: a closed-loop client, locust's usual kind. It aims at one request every 0.2 s
but waits for each answer before pacing the next, so a slow service slows it down."""

from locust import HttpUser, constant_pacing, task


class ClosedLoopClient(HttpUser):
    wait_time = constant_pacing(0.2)

    @task
    def work(self):
        self.client.get("/v1/work", timeout=30)
