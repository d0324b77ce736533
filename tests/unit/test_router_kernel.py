"""The kernel layer without a kernel: nft driven as a process (a stand-in script on PATH's
place), its words kept in a refusal, counters read back, and the shaping put back when
nftables refuses the rules."""

from __future__ import annotations

import json
import stat

import pytest

from router import kernel_names as kn
from router.errors import KernelRefused
from router.kernel import Kernel, NftProcess, _nft_words, active_by_mark_in_table
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


CONNTRACK_TABLE = """\
ipv4     2 tcp      6 17 SYN_SENT src=172.20.0.6 dst=172.20.0.4 sport=38416 dport=8053 [UNREPLIED] src=172.21.0.4 dst=172.21.0.7 sport=8080 dport=38416 mark=2 zone=0 use=2
ipv4     2 tcp      6 431999 ESTABLISHED src=172.20.0.6 dst=172.20.0.4 sport=1 dport=8081 src=172.21.0.3 dst=172.21.0.7 sport=8080 dport=1 [ASSURED] mark=1 zone=0 use=2
ipv4     2 tcp      6 110 TIME_WAIT src=172.20.0.6 dst=172.20.0.4 sport=2 dport=8081 src=172.21.0.3 dst=172.21.0.7 sport=8080 dport=2 [ASSURED] mark=1 zone=0 use=2
ipv4     2 tcp      6 9 CLOSE src=172.20.0.6 dst=172.20.0.4 sport=3 dport=8081 src=172.21.0.3 dst=172.21.0.7 sport=8080 dport=3 mark=1 zone=0 use=2
ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.11 sport=5 dport=53 src=127.0.0.11 dst=127.0.0.1 sport=53 dport=5 mark=0 zone=0 use=2
ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=4 dport=22 src=10.0.0.2 dst=10.0.0.1 sport=22 dport=4 [ASSURED] mark=0 zone=0 use=2
"""


def test_conntracks_text_table_counts_open_entries_by_mark():
    assert active_by_mark_in_table(CONNTRACK_TABLE.splitlines(keepends=True)) == {2: 1, 1: 1}


def test_open_connections_are_read_from_the_text_table_when_there_is_one(tmp_path):
    table = tmp_path / "nf_conntrack"
    table.write_text(CONNTRACK_TABLE)

    def no_netlink():
        raise AssertionError("netlink asked although the text table was there")
    kernel = Kernel(INTERFACES, nft=RecordingNft(refuse=False), conntrack_factory=no_netlink, conntrack_file=str(table))
    assert kernel.active_by_mark() == {2: 1, 1: 1}


def test_without_the_text_table_netlinks_dump_is_counted(tmp_path):
    class Entry:
        def __init__(self, mark, state):
            self.mark, self.protoinfo = mark, type("ProtoInfo", (), {"state": state})()

    class Dump:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def dump_entries(self):
            return [Entry(2, 2), Entry(1, 3), Entry(1, 7), Entry(0, 3)]

    kernel = Kernel(INTERFACES, nft=RecordingNft(refuse=False), conntrack_factory=Dump,
                    conntrack_file=str(tmp_path / "absent"))
    assert kernel.active_by_mark() == {2: 1, 1: 1}
