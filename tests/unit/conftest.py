"""Settings every unit test shares.

Hypothesis's per-example deadline (200 ms) measures the machine, not the code: the unit tests
run one pytest-xdist worker per core, beside a stack in CI, and an example that waits for a
core fails as "flaky". What a property claims about time, it asserts itself, with its own
tolerance; so no deadline here.
"""

from hypothesis import settings

settings.register_profile("stormlab", deadline=None)
settings.load_profile("stormlab")
