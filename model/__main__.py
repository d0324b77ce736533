"""The model's command line (docs/model.md).

    python -m model predict experiments/retry-storm.yaml [--time-scale 0.5] [--seed N]
    python -m model loop --policy fixed [--set max_attempts=3] [--lab FILE] [--ramp]
    python -m model boundary experiments/capped-retries.yaml [--loads 0.2,0.4,0.6] [--axis duration]

``predict`` on a hysteresis file (``ramp:``) walks its staircase and gives the loop's two
loads. It ends with the line ``verdict: <stable|recovered|metastable>``. Bad input (a
missing file, an invalid scenario or policy): one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from stormlab_common.config import ConfigError
from stormlab_common.contracts.policies import parse_policy

DEFAULT_LAB = Path(__file__).resolve().parents[1] / "experiments" / "retry-storm.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model", description="predict a scenario's verdict")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="simulate a scenario file; print why and its verdict")
    predict.add_argument("file")
    predict.add_argument("--time-scale", type=float, default=1.0)
    predict.add_argument("--seed", type=int, default=None, help="default: the scenario's own")
    loop = commands.add_parser("loop", help="the hysteresis loop's two edges, as fractions of capacity")
    _policy_options(loop, required=True)
    loop.add_argument("--lab", default=str(DEFAULT_LAB), help="the scenario whose device and clients ramp")
    loop.add_argument("--hold", type=float, default=60.0, help="seconds each load is held")
    loop.add_argument("--ramp", action="store_true", help="also print the staircase ramp, load by load")
    edge = commands.add_parser("boundary", help="the smallest trigger that tips each baseline load")
    edge.add_argument("file")
    _policy_options(edge, required=False)
    edge.add_argument("--loads", default="0.2,0.3,0.4,0.5,0.6,0.7,0.8")
    edge.add_argument("--axis", choices=("surge_factor", "duration"), default="surge_factor")
    args = parser.parse_args(argv)
    try:
        if args.command == "predict":
            return _predict(args)
        if args.command == "loop":
            return _loop(args)
        return _boundary(args)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"model: {_one_line(exc)}", file=sys.stderr)
        return 2


def _predict(args) -> int:
    scenario = _scenario(args.file, args.time_scale)
    if scenario.ramp:  # a hysteresis file: the loop its staircase draws
        from model.loop_prediction import predict_loop

        print(predict_loop(scenario, seed=args.seed).text())
        return 0
    from model.predict import predict_scenario

    print(predict_scenario(scenario, seed=args.seed).text())
    return 0


def _loop(args) -> int:
    from model.from_scenario import inputs_from_scenario
    from model.loop import hysteresis, ramp

    lab = inputs_from_scenario(_scenario(args.lab))
    policy = _policy(args)
    found = hysteresis(lab, policy, hold=args.hold)
    print(f"policy {found.policy} on the lab of {args.lab}, each load held {args.hold:g} s")
    if args.ramp:
        for step in ramp(lab, policy):
            print(f"  {'up  ' if step.rising else 'down'} load {step.load:.3f}  goodput {step.goodput:.3f}")
    print(f"collapse_load: {_fraction(found.collapse_load)}")
    print(f"recovery_load: {_fraction(found.recovery_load)}")
    print(f"loop: {_fraction(found.width)}")
    return 0


def _boundary(args) -> int:
    from model.boundary import boundary
    from model.from_scenario import inputs_from_scenario

    lab = inputs_from_scenario(_scenario(args.file))
    loads = [float(value) for value in args.loads.split(",") if value.strip()]
    policy = _policy(args) if args.policy else None
    name = policy.name if policy is not None else ", ".join(p.policy.name for p in lab.clients.profiles)
    print(f"policy {name}, the trigger of {args.file}; the smallest {args.axis} that tips each load")
    for load, size in boundary(lab, loads, policy, axis=args.axis).items():
        print(f"  load {load:.2f}: {'none tips it' if size is None else f'{size:.2f}'}")
    return 0


def _policy_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--policy", required=required, help="a retry policy's name (docs/retry-policies.md)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="one of the policy's parameters, e.g. max_attempts=3")


def _policy(args):
    data = {"name": args.policy}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        data[key.strip()] = yaml.safe_load(value)
    return parse_policy(data)


def _scenario(path: str, time_scale: float = 1.0):
    from stormlab_common.scenario import load_scenario

    return load_scenario(path, time_scale)


def _fraction(value: float | None) -> str:
    return "none" if value is None else f"{value:.3f} of capacity"


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ConfigError):
        return f"invalid {exc.source}: " + "; ".join(exc.problems)
    return str(exc).replace("\n", " ")


if __name__ == "__main__":
    sys.exit(main())
