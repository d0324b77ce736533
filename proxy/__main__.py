"""Run the proxy: ``python3 -m proxy [--config FILE] [--set key.path=value ...]``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.admin import make_admin_app
from proxy.config import ENV_PREFIX, load_proxy_config
from proxy.metrics import ProxyMetrics
from proxy.topology import Conflict, Topology
from stormlab_common.cli import component_parser, setup_logging
from stormlab_common.config import ConfigError
from stormlab_common.contracts.proxy import ProxyConfig

log = logging.getLogger("proxy")


async def serve(config: ProxyConfig, stop: asyncio.Event) -> None:
    registry = CollectorRegistry()
    topology = Topology(config, ProxyMetrics(registry), asyncio.get_running_loop())
    await topology.start()
    runner = web.AppRunner(make_admin_app(topology, registry), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.admin.host, config.admin.port).start()
        log.info("admin API on %s:%d", config.admin.host, config.admin.port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await topology.close()


async def run(config: ProxyConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(config, stop)


def event_loop_factory(choice: str):
    """The loop to run on: uvloop if asked, or on auto where it is installed; else asyncio's."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise
        else:
            log.info("event loop: uvloop %s", uvloop.__version__)
            return uvloop.new_event_loop
    log.info("event loop: asyncio's own")
    return None  # asyncio.Runner's default


def main(argv: list[str] | None = None) -> int:
    args = component_parser("python3 -m proxy", "The network device between the two networks.",
                            ENV_PREFIX, "admin.port=9000").parse_args(argv)
    setup_logging(args.log_level)
    try:
        config = load_proxy_config(file=args.config, overrides=args.set)
    except ConfigError as exc:
        print(f"proxy: {exc}", file=sys.stderr)
        return 2
    try:
        loop_factory = event_loop_factory(config.event_loop)
    except ImportError as exc:
        print(f"proxy: event_loop is uvloop, but it cannot be imported ({exc}); "
              "install uvloop (Debian: python3-uvloop) or set event_loop to auto or asyncio", file=sys.stderr)
        return 2
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run(config))
    except (OSError, Conflict) as exc:
        print(f"proxy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
