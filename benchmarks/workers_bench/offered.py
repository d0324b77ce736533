"""What the clients are offered: more than they can send, so the figure is what the workers can
send, not what they were asked for.

Every process (the master and each worker) gets the same settings in its environment
(loadgen/config.py's ``STORMLAB_LOADGEN_*``), no config file: the default workload (one GET
to the target ``api``), no retries (a retry would make a failure cost two attempts, and the
figure is attempts sent, whatever became of them), a new connection per attempt, as the
storm's naive clients (the expensive case: a TCP handshake on both sides of every attempt).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "STORMLAB_LOADGEN_"


@dataclass(frozen=True)
class Offered:
    clients: int  # the scenario's client count, spread by the master over the workers
    per_client: float  # logical requests per client per second

    @property
    def per_second(self) -> float:
        return self.clients * self.per_client


def settings(offered: Offered, target: str, max_run_seconds: float) -> dict[str, str]:
    """The environment of every locust process; ``target``: ``http://host:port`` of the origin
    as the process reaches it (a worker elsewhere moves it with STORMLAB_DEVICE_HOST)."""
    return {
        f"{PREFIX}TARGETS__API__URL": target,
        f"{PREFIX}ARRIVALS__PROCESS": "periodic",  # the same offered rate every second
        f"{PREFIX}ARRIVALS__REQUESTS_PER_SECOND": f"{offered.per_client:g}",
        # the process's safety cap off: it would be what limits the figure (3,000/s by default)
        f"{PREFIX}MAX_ATTEMPTS_PER_SECOND": "1000000",
        # beyond what a process can send, arrivals are dropped (cheaply, counted) rather than
        # piling up greenlets and sockets, which would measure the pile, not the sending
        f"{PREFIX}MAX_IN_FLIGHT_PER_CLIENT": "4",
        f"{PREFIX}SEED": "1",
        f"{PREFIX}MAX_RUN_SECONDS": f"{max_run_seconds:g}",  # the clients stop by themselves
        f"{PREFIX}CLIENTS__DEFAULT__POLICY__NAME": "none",
        f"{PREFIX}CLIENTS__DEFAULT__REUSE_CONNECTIONS": "false",
        f"{PREFIX}CLIENTS__DEFAULT__CONNECT_TIMEOUT_SECONDS": "0.5",
        f"{PREFIX}CLIENTS__DEFAULT__ATTEMPT_TIMEOUT_SECONDS": "0.5",
        f"{PREFIX}CLIENTS__DEFAULT__DEADLINE_SECONDS": "1",
    }
