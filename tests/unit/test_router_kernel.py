"""The kernel layer without a kernel: nft driven as a process (a stand-in script on PATH's
place), its words kept in a refusal, counters read back, and the shaping put back when
nftables refuses the rules."""

from __future__ import annotations

import json
import stat

import pytest

from router import kernel_names as kn
from router.errors import KernelRefused
from router.kernel import Kernel, NftProcess, _nft_words
from router.ruleset import Count, Interfaces, Topology
from stormlab_common.contracts import proxy as contract

INTERFACES = Interfaces(clients="clients0", services="services0")


def fake_nft(tmp_path, script: str):
    path = tmp_path / "nft"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return NftProcess(str(path))


def test_a_batch_goes_on_stdin_as_json_and_a_refusal_keeps_nfts_words(tmp_path):
    seen = tmp_path / "stdin"
    nft = fake_nft(tmp_path, f'cat > {seen}\necho "internal:0:0-0: Error: Could not process rule: Invalid argument" >&2\n'
                             "exit 1\n")
    with pytest.raises(KernelRefused) as refused:
        nft.run({"nftables": [{"add": {"table": {"family": "ip", "name": "t"}}}]})
    assert str(refused.value) == "Error: Could not process rule: Invalid argument"
    assert json.loads(seen.read_text()) == {"nftables": [{"add": {"table": {"family": "ip", "name": "t"}}}]}


def test_counters_read_back_and_no_table_is_no_counters(tmp_path):
    listing = {"nftables": [{"metainfo": {}}, {"counter": {"name": "link:api:border:accepted", "packets": 4,
                                                           "bytes": 240}}]}
    nft = fake_nft(tmp_path, f"echo '{json.dumps(listing)}'\n")
    assert Kernel(INTERFACES, nft=nft).counters() == {"link:api:border:accepted": Count(4, 240)}
    missing = fake_nft(tmp_path, 'echo "Error: No such file or directory" >&2\nexit 1\n')
    assert Kernel(INTERFACES, nft=missing).counters() == {}


class RecordingNft:
    def __init__(self, refuse: bool):
        self.refuse = refuse
        self.batches = []

    def run(self, command):
        if isinstance(command, list):
            return {"nftables": []}
        self.batches.append(command)
        if self.refuse:
            raise KernelRefused("Error: Could not process rule: No such file or directory")
        return {}


def topology(rate) -> Topology:
    devices = {"border": contract.Device(upstream=contract.DirectionLimits(bytes_per_second=rate))}
    links = {"api": contract.Link(8081, "api:8080")}
    return Topology(devices, links, {"api": "10.0.2.10"}, kn.Numbering.of(devices, links), INTERFACES)


def test_when_nftables_refuses_the_shaping_goes_back_to_the_old_plan():
    kernel = Kernel(INTERFACES, nft=RecordingNft(refuse=True))
    applied = []
    kernel.tc.apply = lambda plan: applied.append(tuple(plan))
    with pytest.raises(KernelRefused, match="No such file"):
        kernel.apply(topology(2e6), topology(1e6))
    assert [plan[0].rate_bytes_per_second for plan in applied] == [2_000_000, 1_000_000]


def test_nft_words_drop_the_json_position_prefix():
    assert _nft_words("internal:0:0-0: Error: x\n\n") == "Error: x"
    assert _nft_words("plain\nsecond") == "plain; second"
