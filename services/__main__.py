"""Run a service: ``python3 -m services [--config FILE] [--set key.path=value ...]``."""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from prometheus_client import CollectorRegistry

from services.app import DRAIN_SECONDS, make_app
from services.config import ENV_PREFIX, load_service_config
from stormlab_common.cli import component_parser, setup_logging
from stormlab_common.config import ConfigError


def main(argv: list[str] | None = None) -> int:
    args = component_parser("python3 -m services", "A main-network service.", ENV_PREFIX,
                            "work.response_bytes=4096").parse_args(argv)
    setup_logging(args.log_level)
    try:
        config = load_service_config(file=args.config, overrides=args.set)
    except ConfigError as exc:
        print(f"services: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("services").info("service %s (role %s, replica %s) on %s:%d", config.name,
                                       config.role, config.replica, config.host, config.port)
    # On SIGTERM aiohttp stops listening, then waits up to DRAIN_SECONDS for in-flight work.
    web.run_app(make_app(config, CollectorRegistry()), host=config.host, port=config.port,
                shutdown_timeout=DRAIN_SECONDS, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
