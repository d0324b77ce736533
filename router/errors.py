"""What the router's state answers besides success, each mapped to a status by router/agent.py:
NotFound (404), Conflict (409), KernelRefused (the kernel would not take rules the contract
accepts: 500, with the kernel's own words). Input the contract refuses, or a knob the kernel
has no mechanism for, is a ConfigError (400), as at the proxy."""

from __future__ import annotations


class NotFound(LookupError):
    def __init__(self, kind: str, name: str, known: list[str]):
        super().__init__(f"unknown {kind} {name!r}")
        self.known = known


class Conflict(Exception):
    """Well formed, but the state cannot take it; ``problems``: one ``path: why`` line each."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class KernelRefused(Exception):
    """The kernel refused a change (nftables' or netlink's message in ``str()``); the rules in
    force before it are still in force."""
