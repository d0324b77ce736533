"""``python -m experiments map [MAP ...]`` (``make map``): each map file checked whole before
anything starts, then run on one stack (experiments/map_run.py), its outputs written
(experiments/map_report.py), and, with more than one, the maps side by side (compare.png)."""

from __future__ import annotations

import sys
from pathlib import Path

from experiments.hysteresis_plot import save
from experiments.map_plot import draw_maps
from experiments.map_spec import MapPlan, load_map
from stormlab_common.config import ConfigError
from stormlab_common.scenario import parse_scenario

HERE = Path(__file__).resolve().parent / "map"
EXIT_MISMATCH, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED = 1, 2, 3, 130


def add_map_command(commands, time_scale) -> None:
    maps = commands.add_parser("map", help="metastability maps (experiments/map/): a grid of baseline load "
                                           "x trigger size, K seeds per cell; several maps side by side")
    maps.add_argument("maps", nargs="*", help="map files or names in experiments/map/ (default: fixed)")
    maps.add_argument("--time-scale", type=time_scale, default=1.0)
    maps.add_argument("--results", type=Path, default=Path("results"), help="where map folders go")
    maps.add_argument("--project", default=None,
                      help="compose project (default $COMPOSE_PROJECT_NAME or stormlab)")
    maps.add_argument("--no-start", action="store_true",
                      help="fail if the stack is not up instead of starting it")
    maps.add_argument("--keep-stack", action="store_true", help="leave a stack the runner started running")
    maps.add_argument("--swarm", action="store_true",
                      help="the stack runs (or is started) as a Swarm stack (make swarm-up); "
                           "default: whichever of Compose and Swarm runs it")
    maps.add_argument("--no-progress", action="store_true", help="a line per run instead of a bar (logs, CI)")
    maps.add_argument("--min-agreement", type=float, default=None,
                      help="fail when the model agrees with fewer than this share of the cells off the "
                           "boundary")


def map_path(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    own = HERE / (path.name if path.suffix in (".yaml", ".yml") else f"{name}.yaml")
    if own.exists():
        return own
    names = ", ".join(sorted(p.stem for p in HERE.glob("*.yaml")))
    raise ConfigError([f"{name}: no such map; expected a map file or the name of one in experiments/map/: "
                       f"{names}"], "map name")


def load_maps(names: list[str], time_scale: float) -> list[MapPlan]:
    """Every map checked, each cell's scenario as the runner would take it; ConfigError listing
    every problem of every file."""
    from experiments.validation import scenario_problems
    from stormlab_common.scenario.stack_definition import read_stack_definition

    stack = read_stack_definition()
    membership = (stack.loadgen_base.get("membership") or {})
    poll = membership.get("poll_seconds", 2.0) if membership else None

    def check_cell(raw: dict) -> None:
        problems = scenario_problems(raw, stack, time_scale)
        if problems:
            raise ConfigError(problems, "cell")
        parse_scenario(raw, time_scale)

    plans, problems = [], []
    for name in names or ["fixed"]:
        try:
            plans.append(load_map(map_path(name), check_cell, poll))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError(problems, "maps")
    return plans


def run_maps(args) -> int:
    from experiments.map_report import agreement, predictions, write_map_outputs
    from experiments.map_run import run_map
    from experiments.stack import Stack, StackError

    try:
        plans = load_maps(args.maps, args.time_scale)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"experiments: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        stack = Stack(args.project, "swarm" if args.swarm else None)
        stack.ensure_up(start=not args.no_start)
    except StackError as exc:
        print(f"experiments: {exc}", file=sys.stderr)
        return EXIT_FAILED
    code, done = 0, []
    try:
        for plan in plans:
            run = run_map(plan, args.time_scale, args.results, stack, progress=not args.no_progress)
            done.append(run)
            predict = _predictor()
            report = write_map_outputs(run, predict, _predicted_boundary(run, predict))
            found = agreement(run, predictions(run, predict))
            said = "not judged" if found.share is None else f"{found.agreed}/{found.judged} cells"
            print(f"experiments: map {plan.spec.name}: {len(run.store.rows)} runs, {run.seconds:.0f} s; "
                  f"model agreement off the boundary {said}; report: {report}")
            floor = args.min_agreement
            if floor is not None and found.share is not None and found.share < floor:
                print(f"experiments: map {plan.spec.name}: the model agreed with {100 * found.share:.0f}% of "
                      f"the cells off the boundary, below {100 * floor:.0f}%", file=sys.stderr)
                code = EXIT_MISMATCH
    except KeyboardInterrupt:
        print("experiments: map interrupted; every finished run is in its cells.csv, and a rerun skips them",
              file=sys.stderr)
        code = EXIT_INTERRUPTED
    finally:
        if stack.started_here and not args.keep_stack:
            print("experiments: removing the stack this run started", file=sys.stderr)
            stack.down()
    if len(done) > 1:
        compare = args.results / "maps-compared.png"
        save(draw_maps([(run.plan, run.store, None) for run in done]), compare)
        print(f"experiments: maps side by side: {compare}")
    return code


def _predictor():
    """The model's verdict for a cell's scenario (model/)."""
    from experiments.model_view import predicted_verdict

    return predicted_verdict


def _predicted_boundary(run, predict, per_cell: int = 4):
    """The model's boundary: per column, where its verdict turns metastable going up y, on a grid
    ``per_cell`` times finer than the map's (the model is cheap); the bottom edge when it is
    metastable all the way, nothing when never."""
    import itertools

    from experiments.map_run import cell_scenario

    axis, line = run.plan.spec.y, []
    count = max(2, (axis.cells - 1) * per_cell + 1)
    ys = [axis.start + (axis.stop - axis.start) * i / (count - 1) for i in range(count)]
    for x in run.plan.spec.x.values():
        verdicts = [(y, predict(cell_scenario(run.plan, x, y, 0, run.time_scale))) for y in ys]
        if verdicts[0][1] == "metastable":
            line.append((x, ys[0]))
            continue
        for (low, a), (high, b) in itertools.pairwise(verdicts):
            if a != "metastable" and b == "metastable":
                line.append((x, (low + high) / 2))
                break
    return line
