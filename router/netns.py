"""Run a call inside a named network namespace (``ip netns add`` names), for the kernel tests
and for running the agent beside, rather than inside, its router's namespace.

setns(2) moves only the calling thread, so the call runs on a fresh thread that enters the
namespace first and ends with the call: sockets it opens (netlink included) and processes it
starts (nft) belong to that namespace, and the rest of the process is untouched.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


def in_netns(name: str | None, call: Callable[[], T]) -> T:
    """``call()``, in namespace ``name`` (None: right here)."""
    if name is None:
        return call()
    outcome: dict[str, object] = {}

    def enter_and_call() -> None:
        try:
            _enter(name)
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=enter_and_call, name=f"netns-{name}")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _enter(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns into network namespace {name!r}: {os.strerror(errno)}")
    finally:
        os.close(fd)
