"""Run the router's agent: ``python3 -m router [--config FILE] [--set key.path=value ...]``.

It puts the configured devices and links in force in the kernel, then serves the control
API and /metrics on the admin port (the only port it listens on)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sys

from aiohttp import web
from prometheus_client import CollectorRegistry

from router.agent import make_agent_app
from router.config import ENV_PREFIX, InterfaceNames, RouterConfig, load_router_config
from router.errors import Conflict, KernelRefused
from router.interfaces import resolve_interfaces
from router.kernel import Kernel, open_iproute
from router.metrics import register_router_metrics
from router.state import RouterState, resolve_ipv4
from stormlab_common.cli import component_parser, setup_logging
from stormlab_common.config import ConfigError

log = logging.getLogger("router")


def with_interfaces_found(config: RouterConfig) -> RouterConfig:
    """The config with ``auto`` interfaces named, by the first link's upstream address."""
    first = next(iter(config.links.values()), None)
    address = resolve_ipv4(first.upstream_host) if first else None
    found = resolve_interfaces(config.interfaces.clients, config.interfaces.services, address, open_iproute)
    log.info("interfaces: clients %s, services %s", found.clients, found.services)
    named = InterfaceNames(clients=found.clients, services=found.services)
    return dataclasses.replace(config, interfaces=named)


async def serve(config: RouterConfig, stop: asyncio.Event) -> None:
    config = await asyncio.to_thread(with_interfaces_found, config)
    state = RouterState(config, Kernel(config.interface_pair))
    await asyncio.to_thread(state.start)
    registry = CollectorRegistry()
    register_router_metrics(registry, state)
    runner = web.AppRunner(make_agent_app(state, registry), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.admin.host, config.admin.port).start()
        log.info("router agent on %s:%d; %d links across %d devices", config.admin.host, config.admin.port,
                 len(state.links), len(state.devices))
        await stop.wait()
    finally:
        await runner.cleanup()


async def run(config: RouterConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(config, stop)


def main(argv: list[str] | None = None) -> int:
    args = component_parser("python3 -m router", "The kernel device: a router on the packet path.",
                            ENV_PREFIX, "admin.port=9000").parse_args(argv)
    setup_logging(args.log_level)
    try:
        config = load_router_config(file=args.config, overrides=args.set)
    except ConfigError as exc:
        print(f"router: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(config))
    except (Conflict, KernelRefused, LookupError, OSError) as exc:
        print(f"router: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
