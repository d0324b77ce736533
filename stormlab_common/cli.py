"""The command-line layer of every component's config: --config, --set, --log-level."""

from __future__ import annotations

import argparse
import logging


def component_parser(prog: str, description: str, env_prefix: str,
                     set_example: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description,
        epilog=f"Settings come from the YAML file (--config, or {env_prefix}CONFIG), then the "
               f"environment ({env_prefix}<KEY>, '__' between nesting levels), then --set; "
               "later layers win.")
    parser.add_argument("--config", metavar="FILE", help="YAML config file")
    parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                        help=f"override one setting, e.g. --set {set_example} (repeatable)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
