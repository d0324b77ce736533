"""Each container's CPU during a run, from the Docker API's readings (experiments/container_cpu.py),
and the report's table of it."""

import threading
import time

import pytest

from experiments.container_cpu import ALL_CONTAINERS, STOP_WAIT_SECONDS, ContainerCpu, Sample, cores_between
from experiments.report_sections import cpu_table
from experiments.run_record import ContainerBusy, CpuSeen


def reading(at: str, nanoseconds: int) -> dict:
    return {"read": at, "cpu_stats": {"cpu_usage": {"total_usage": nanoseconds}}}


def test_cores_are_cpu_time_over_the_engines_own_time_between_two_readings():
    first = reading("2026-12-04T18:00:00.250000000Z", 10_000_000_000)
    # 1.5 s of CPU in 2 s of the Engine's clock: 0.75 of a core, however late the answer came
    assert cores_between(first, reading("2026-12-04T18:00:02.250000000Z", 11_500_000_000)) == pytest.approx(0.75)
    # across a minute's boundary, with a fraction of a second
    assert cores_between(reading("2026-12-04T18:00:59.900000000Z", 0),
                         reading("2026-12-04T18:01:00.400000000Z", 500_000_000)) == pytest.approx(1.0)


@pytest.mark.parametrize("second", [
    reading("2026-12-04T18:00:01.250000000Z", 5),  # a restarted container's counter began again
    reading("2026-12-04T18:00:00.250000000Z", 10_500_000_000),  # no time between the two
    {"read": "2026-12-04T18:00:01Z"},  # no counter (a container that has just stopped)
    {"cpu_stats": {"cpu_usage": {"total_usage": 1}}},  # no time
])
def test_readings_that_do_not_say_give_no_sample(second):
    assert cores_between(reading("2026-12-04T18:00:00.250000000Z", 10_000_000_000), second) is None


class FakeContainer:
    """Busy ``cores`` of a core: each reading is ``step`` of the Engine's seconds after the last."""

    def __init__(self, cores: float, fails: bool = False):
        self.cores, self.fails, self.calls = cores, fails, 0

    def stats(self, stream: bool, one_shot: bool) -> dict:
        assert (stream, one_shot) == (False, True)  # an answer at once, not a second of sampling
        if self.fails:
            raise RuntimeError("no such container")
        self.calls += 1
        seconds = 100 + self.calls
        return reading(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".000000000Z",
                       int(self.calls * self.cores * 1e9))


def test_the_sampler_reads_every_container_until_stopped_and_a_failing_one_is_a_note():
    proxy, worker, gone = FakeContainer(0.8), FakeContainer(0.3), FakeContainer(0, fails=True)
    late = FakeContainer(0.5)
    listings = [[("proxy", proxy), ("worker", worker), ("gone", gone)]]
    listed = threading.Event()

    def listing():
        if len(listings) == 1:
            listings.append(listings[0] + [("late", late)])  # a replica scaled out during the run
            return listings[0]
        listed.set()
        return listings[1]

    cpu = ContainerCpu(listing, sample_seconds=0.01).start()
    assert listed.wait(5)
    deadline = time.monotonic() + 5
    while late.calls < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    cpu.stop()
    calls = proxy.calls
    time.sleep(0.05)
    assert proxy.calls == calls  # stopped means stopped
    peaks = cpu.peaks(0, time.time() + 1)
    assert set(peaks) == {"proxy", "worker", "late", ALL_CONTAINERS}
    assert peaks["proxy"]["peak_cores"] == pytest.approx(0.8)
    # the sum of each round: 1.1 cores before the late replica came, 1.6 once it did
    assert peaks[ALL_CONTAINERS]["peak_cores"] == pytest.approx(1.6)
    assert min(s.cores for s in cpu.samples[ALL_CONTAINERS]) == pytest.approx(1.1)
    assert peaks["worker"]["mean_cores"] == pytest.approx(0.3)
    # a sample is a pair of readings; a round read as the stop came is not kept
    assert proxy.calls - 2 <= peaks["proxy"]["samples"] <= proxy.calls - 1
    assert "gone" in cpu.problem and "no such container" in cpu.problem


class TickingContainer(FakeContainer):
    """Answers as the Engine does: not before every container of the round has been asked (the
    Engine's collection tick), so asked one after another, none would ever answer."""

    def __init__(self, tick: threading.Barrier):
        super().__init__(0.25)
        self.tick = tick

    def stats(self, stream: bool, one_shot: bool) -> dict:
        self.tick.wait(timeout=2)  # BrokenBarrierError unless the others are asked meanwhile
        return super().stats(stream, one_shot)


def test_the_containers_are_read_at_once_and_a_reading_left_hanging_does_not_hold_the_stop():
    tick = threading.Barrier(4)
    containers = [(f"c{n}", TickingContainer(tick)) for n in range(4)]
    cpu = ContainerCpu(lambda: containers, sample_seconds=0.01).start()
    deadline = time.monotonic() + 5
    while len(cpu.samples.get(ALL_CONTAINERS, [])) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cpu.problem is None
    assert cpu.peaks(0, time.time() + 1)[ALL_CONTAINERS]["peak_cores"] == pytest.approx(1.0)

    hanging = threading.Event()

    class Hanging(FakeContainer):
        def stats(self, stream, one_shot):
            hanging.wait(30)  # an Engine that does not answer
            return super().stats(stream, one_shot)

    stuck = ContainerCpu(lambda: [("stuck", Hanging(0.1))], sample_seconds=0.01).start()
    time.sleep(0.05)
    began = time.monotonic()
    stuck.stop()
    try:
        assert time.monotonic() - began < STOP_WAIT_SECONDS + 1  # tolerance: a loaded machine
        assert stuck.peaks(0, time.time() + 1) == {}
    finally:
        hanging.set()


def test_peaks_keep_to_their_window():
    cpu = ContainerCpu(list, clock=lambda: 0.0)
    cpu.samples = {"proxy": [Sample(10, 0.2), Sample(11, 0.95), Sample(20, 0.5)]}
    assert cpu.peaks(9, 12) == {"proxy": {"peak_cores": 0.95, "peak_at": 2, "mean_cores": 0.575, "samples": 2}}
    assert cpu.peaks(30, 40) == {}


class Record:  # the report section reads only this part of a run's record
    def __init__(self, cpu):
        self.cpu = cpu


def test_the_report_names_a_saturated_container_or_says_none_was():
    calm = ContainerBusy(peak_cores=0.5, peak_at=31.0, mean_cores=0.2, samples=90)
    hot = ContainerBusy(peak_cores=0.97, peak_at=33.0, mean_cores=0.4, samples=90)
    section = cpu_table(Record(CpuSeen(run={"lab_proxy_1": hot, "lab_kv_1": calm},
                                       during={"lab_proxy_1": hot, "lab_kv_1": calm}, saturated_at_cores=0.9)))
    lines = section.splitlines()
    assert lines[0] == "## Containers' CPU"
    proxy_row = next(line for line in lines if "lab_proxy_1" in line)
    assert proxy_row.endswith("| yes |") and "0.97" in proxy_row
    assert next(line for line in lines if "lab_kv_1" in line).endswith("| no |")
    assert "lab_proxy_1" in lines[-1] and "may have shaped this run" in lines[-1]

    quiet = cpu_table(Record(CpuSeen(run={"lab_kv_1": calm}, during={}, saturated_at_cores=0.9)))
    assert "not the machine's CPU, set the rates" in quiet

    # two containers each under a core, filling a 2-core machine between them
    full = ContainerBusy(peak_cores=1.9, peak_at=33.0, mean_cores=1.0, samples=90)
    busy = cpu_table(Record(CpuSeen(run={"lab_kv_1": calm, ALL_CONTAINERS: full},
                                    during={"lab_kv_1": calm, ALL_CONTAINERS: full},
                                    saturated_at_cores=0.9, machine_cores=2)))
    rows = [line for line in busy.splitlines() if line.startswith("| ")][2:]
    assert rows[-1].startswith(f"| {ALL_CONTAINERS}, of 2 cores |") and rows[-1].endswith("| yes |")
    assert rows[0].startswith("| lab_kv_1 |") and rows[0].endswith("| no |")
    assert "may have shaped this run" in busy.splitlines()[-1]
    assert cpu_table(Record(None)) == ""
