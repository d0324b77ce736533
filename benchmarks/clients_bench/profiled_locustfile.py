"""loadgen's locustfile under pyinstrument: ``STORMLAB_PROFILE_OUTPUT`` names where the session
is saved (<it>.pyisession) when the run ends (benchmarks/profiles.py). For benchmarks only."""

import os

from locust import events
from pyinstrument import Profiler

from loadgen.locustfile import *  # noqa: F403 - the clients and the shape, as locust finds them

# Started at import, before the clients: every greenlet's samples are in it (each shows as a
# thread of its own in the tree; the flat view adds them up by function).
_profiler = Profiler(interval=0.001)
_profiler.start()


@events.quitting.add_listener
def _write_profile(environment, **_kwargs):
    session = _profiler.stop()
    session.save(os.environ["STORMLAB_PROFILE_OUTPUT"] + ".pyisession")
