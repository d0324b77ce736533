"""The runner's one way to wait for the stack: ask again at a fixed pace until the answer is
the one wanted, or the time is up (tenacity does the asking; its 8.2 API, which Debian has)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


def poll(
    read: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    every: float,
    timed_out: Callable[[T], T],
    sleep: Callable[[float], None] | None = None,
) -> T:
    """``read()`` until ``done(answer)``, every ``every`` s; returns that answer. After
    ``timeout`` s it returns ``timed_out(last answer)`` instead (which may raise). An error
    from ``read`` is not retried: it is raised at once."""
    options = {"sleep": sleep} if sleep is not None else {}
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(every),
        retry=retry_if_result(lambda answer: not done(answer)),
        retry_error_callback=lambda state: timed_out(state.outcome.result()),
        **options,
    )
    return retrying(read)
