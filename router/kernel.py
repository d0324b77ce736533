"""The router's side of the kernel: applies rules and shaping, and reads the counters back.

nftables is driven through its JSON interface, by python3-nftables (libnftables) where it
can be imported, else by ``nft -j`` with the JSON on stdin (an argv list, no shell). A change
applies the shaping first, then the rules in one atomic transaction; if the kernel refuses
the rules, the shaping goes back to what it was, so a refused change leaves the previous
configuration in force, and the error carries the kernel's own message.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from router import kernel_names as kn
from router.errors import KernelRefused
from router.netns import in_netns
from router.ruleset import Count, Interfaces, Topology, build_ruleset
from router.traffic_control import ClassCounters, TrafficControl, plan_traffic_control

log = logging.getLogger(__name__)
T = TypeVar("T")
NFT_TIMEOUT_SECONDS = 10.0
# conntrack's TCP states that no longer hold a slot: what ``ct count`` leaves out too
CLOSED_TCP_STATES = {7, 8}  # TIME_WAIT, CLOSE
CLOSED_TCP_STATE_NAMES = {"TIME_WAIT", "CLOSE"}
# conntrack's table as text, for the calling thread's network namespace (procfs): a hundred
# times faster to read than a netlink dump parsed by pyroute2 (15 ms against 1.4 s for 4,000
# entries), which matters during a storm, when the table holds thousands of attempts
CONNTRACK_TABLE_FILE = "/proc/thread-self/net/nf_conntrack"


class Nft(Protocol):
    def run(self, command: dict | list[str]) -> dict:
        """A JSON batch (dict) or a command (argv words after ``nft -j``); the JSON answer."""


class NftProcess:
    def __init__(self, binary: str = "nft"):
        self.binary = binary

    def run(self, command: dict | list[str]) -> dict:
        if isinstance(command, dict):
            argv, stdin = [self.binary, "-j", "-f", "-"], json.dumps(command)
        else:
            argv, stdin = [self.binary, "-j", *command], None
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  timeout=NFT_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KernelRefused(f"could not run {self.binary}: {exc}") from exc
        if done.returncode != 0:
            raise KernelRefused(_nft_words(done.stderr) or f"nft exited with status {done.returncode}")
        return json.loads(done.stdout) if done.stdout.strip() else {}


class NftLibrary:
    """libnftables through Debian's python3-nftables; a context per call, so its netlink
    socket is opened in the calling thread's namespace."""

    def __init__(self, module: Any):
        self._module = module

    def run(self, command: dict | list[str]) -> dict:
        nft = self._module.Nftables()
        nft.set_json_output(True)
        if isinstance(command, dict):
            rc, output, error = nft.cmd(json.dumps(command))
        else:
            rc, output, error = nft.cmd(" ".join(command))
        if rc != 0:
            raise KernelRefused(_nft_words(error) or f"libnftables returned {rc}")
        return json.loads(output) if output and output.strip() else {}


def default_nft() -> Nft:
    try:
        import nftables  # Debian's python3-nftables: in the router image, not in the venv
    except ImportError:
        return NftProcess()
    return NftLibrary(nftables)


@dataclasses.dataclass
class Reading:
    """One read of everything the kernel counts for the router."""

    counters: dict[str, Count]
    classes: dict[tuple[str, int], ClassCounters]
    active_by_mark: dict[int, int]


class Kernel:
    """The real kernel, in the router's namespace (``netns`` None: the current one)."""

    def __init__(self, interfaces: Interfaces, netns: str | None = None, nft: Nft | None = None,
                 ipr_factory: Callable[[], Any] | None = None,
                 conntrack_factory: Callable[[], Any] | None = None,
                 conntrack_file: str = CONNTRACK_TABLE_FILE):
        self.interfaces = interfaces
        self._conntrack_file = conntrack_file
        self.netns = netns
        self.nft = nft or default_nft()
        self._conntrack_factory = conntrack_factory or _conntrack
        self.tc = TrafficControl(ipr_factory or open_iproute, interfaces)

    def _here(self, call: Callable[[], T]) -> T:
        return in_netns(self.netns, call)

    def apply(self, new: Topology, old: Topology | None) -> None:
        """Put ``new`` in force, or raise KernelRefused with ``old`` still in force."""
        def apply_here() -> None:
            counters = self._counters()  # the new table starts where the old one's counters are
            ruleset = build_ruleset(dataclasses.replace(new, counters=counters))
            new_plan = plan_traffic_control(new.devices, new.numbering, self.interfaces)
            self.tc.apply(new_plan)
            try:
                self.nft.run(ruleset)
            except KernelRefused:
                if old is not None:
                    self._restore_shaping(old)
                raise

        self._here(apply_here)

    def apply_ruleset(self, ruleset: dict) -> None:
        """One nft transaction as given (for tests and tools: apply() builds its own)."""
        self._here(lambda: self.nft.run(ruleset))

    def list_table(self) -> dict:
        return self._here(lambda: self.nft.run(["list", "table", kn.FAMILY, kn.TABLE]))

    def counters(self) -> dict[str, Count]:
        return self._here(self._counters)

    def classes(self) -> dict[tuple[str, int], ClassCounters]:
        return self._here(self.tc.read)

    def active_by_mark(self) -> dict[int, int]:
        """Open connections (conntrack entries not closed) by conntrack mark, i.e. by link."""
        def count_here() -> dict[int, int]:
            try:
                with open(self._conntrack_file) as table:
                    return active_by_mark_in_table(table)
            except OSError:
                pass  # a kernel without conntrack's procfs: ask netlink
            counts: dict[int, int] = {}
            with self._conntrack_factory() as conntrack:
                for entry in conntrack.dump_entries():
                    state = getattr(entry.protoinfo, "state", None)
                    if entry.mark and state not in CLOSED_TCP_STATES:
                        counts[entry.mark] = counts.get(entry.mark, 0) + 1
            return counts

        return self._here(count_here)

    def read(self) -> Reading:
        return Reading(self.counters(), self.classes(), self.active_by_mark())

    def _counters(self) -> dict[str, Count]:
        try:
            listed = self.nft.run(["list", "table", kn.FAMILY, kn.TABLE])
        except KernelRefused as exc:
            if "No such file or directory" in str(exc):  # no table yet: nothing counted
                return {}
            raise
        found = [item["counter"] for item in listed.get("nftables", []) if "counter" in item]
        return {c["name"]: Count(c.get("packets", 0), c.get("bytes", 0)) for c in found}

    def _restore_shaping(self, old: Topology) -> None:
        try:
            self.tc.apply(plan_traffic_control(old.devices, old.numbering, self.interfaces))
        except KernelRefused:
            log.exception("could not restore the previous shaping after nftables refused a change")


def active_by_mark_in_table(lines: Iterable[str]) -> dict[int, int]:
    """Counts by mark of the entries in conntrack's text table (``nf_conntrack``) that hold a
    slot: every entry with a mark but TCP's closed ones. A line reads ``ipv4 2 tcp 6 <timeout>
    <STATE> src=... mark=<n> zone=0 use=2``; only TCP has a state word."""
    counts: dict[int, int] = {}
    for line in lines:
        found = line.find(" mark=")
        if found < 0:
            continue
        end = line.find(" ", found + 6)
        mark = int(line[found + 6:end if end > 0 else None])
        words = line.split(None, 6)
        if not mark or (len(words) > 5 and words[2] == "tcp" and words[5] in CLOSED_TCP_STATE_NAMES):
            continue
        counts[mark] = counts.get(mark, 0) + 1
    return counts


def _nft_words(stderr: str | None) -> str:
    """nft's message without its JSON-input position prefix (``internal:0:0-0: ``)."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    return "; ".join(line.split(": ", 1)[1] if line.startswith("internal:") and ": " in line else line
                     for line in lines)


def open_iproute() -> Any:
    from pyroute2 import IPRoute

    return IPRoute()


def _conntrack() -> Any:
    from pyroute2 import Conntrack

    return Conntrack()
