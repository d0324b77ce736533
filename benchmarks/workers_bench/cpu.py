"""Where the two cores went during a window, from /proc: each process's CPU seconds (a
container's processes are this host's, seen by their host pid) and the machine's busy time.
The ratio between cases is bounded by the machine, so the table shows who had the cores."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK")


def stat_seconds(stat: str) -> float:
    """utime + stime of a /proc/<pid>/stat line, in seconds. Fields are counted after the
    command's closing parenthesis, since the command itself may hold spaces."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def parent_of(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[1])


def with_children(pid: int, proc: Path = PROC) -> list[int]:
    """``pid`` and every process below it (nginx's master and its worker)."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                parents.setdefault(parent_of((entry / "stat").read_text()), []).append(int(entry.name))
            except OSError:
                continue  # ended meanwhile
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def process_seconds(pids: list[int], proc: Path = PROC) -> float:
    """CPU seconds used so far by ``pids`` together (a process that ended counts nothing)."""
    total = 0.0
    for pid in pids:
        try:
            total += stat_seconds((proc / str(pid) / "stat").read_text())
        except OSError:
            continue
    return total


def machine_ticks(proc_stat: str) -> tuple[int, int]:
    """(busy, all) ticks of every core together, from /proc/stat's ``cpu`` line; idle and
    iowait are not busy."""
    fields = [int(value) for value in proc_stat.splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already inside user time: the first 8 fields are all there is
    every = sum(fields[:8])
    return every - idle, every


def busy_cores(before: tuple[int, int], after: tuple[int, int], cores: int) -> float:
    """How many of ``cores`` were busy between two ``machine_ticks`` readings, on average."""
    busy, every = after[0] - before[0], after[1] - before[1]
    return cores * busy / every if every else 0.0


def cores() -> int:
    return os.cpu_count() or 1


def read_machine_ticks(proc: Path = PROC) -> tuple[int, int]:
    return machine_ticks((proc / "stat").read_text())
