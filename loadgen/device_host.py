"""The device as this process reaches it (``STORMLAB_DEVICE_HOST``): the host of every target URL
replaced, its port kept.

In the stack every target is a proxy link, ``http://proxy:<port>``, a name only the stack's
network resolves. A worker on another host reaches the same links where the stack publishes
them (docker-compose.remote-workers.yml), on the same ports, at an address of the stack's host.
The rewrite applies to the config this process runs, its base and every live patch the master
sends alike; never to the patch itself, so the master and the other workers keep theirs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from stormlab_common.contracts.loadgen import LoadgenConfig, Target

# What a target URL's host may be (the contract's Target pattern), so every rewritten URL is
# still one the contract takes.
HOST = re.compile(r"[A-Za-z0-9._-]+")
_URL = re.compile(r"(?P<scheme>http://)(?P<host>[A-Za-z0-9._-]+)(?P<port>:[0-9]{1,5})?")
EXPECTED = "expected a host name or IPv4 address (letters, digits, '.', '-', '_'; no scheme, port or path)"


def host_problem(host: str) -> str | None:
    """What is wrong with ``host`` as a device host, or None."""
    return None if HOST.fullmatch(host) else f"{EXPECTED}, got {host!r}"


def on_device(config: LoadgenConfig, host: str | None) -> LoadgenConfig:
    """``config`` with every target's host replaced by ``host`` (None: unchanged)."""
    if host is None:
        return config
    return replace(config, targets={name: Target(url=with_host(target.url, host))
                                    for name, target in config.targets.items()})


def with_host(url: str, host: str) -> str:
    """``http://proxy:8081`` as reached at ``host``: ``http://<host>:8081``."""
    parts = _URL.fullmatch(url)
    if parts is None:  # the contract checked every URL before this sees it
        raise ValueError(f"not a target URL: {url!r}")
    return f"{parts['scheme']}{host}{parts['port'] or ''}"
