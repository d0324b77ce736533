"""The backoff arithmetic the policies share: tenacity's strategies as calculators, and
Brooker's jitters drawn from the policy's own random stream.

Attempt numbering: ``attempt`` is the 1-based number of the attempt that just failed, which is
tenacity's ``attempt_number``. Brooker's ``n`` (the exponent in ``base * 2**n``) is
``attempt - 1``, the number of retries already made, so the first retry waits up to ``base``:
the same indexing as the AWS SDKs (botocore: ``rand() * min(2**(attempt - 1), 20)``).
"""

from __future__ import annotations

import random

import tenacity


def call_state(attempt: int) -> tenacity.RetryCallState:
    """A tenacity call state after ``attempt`` attempts. Its wait and stop strategies read
    only ``attempt_number``; the constructor is (retry_object, fn, args, kwargs) in both
    tenacity 8.2 (Debian bookworm) and 9.x, so pass those positionally and set the count."""
    state = tenacity.RetryCallState(None, None, (), {})
    state.attempt_number = attempt
    return state


def attempts_exhausted(attempt: int, max_attempts: int) -> bool:
    """True when attempt ``attempt`` was the last one ``max_attempts`` allows."""
    return tenacity.stop_after_attempt(max_attempts)(call_state(attempt))


def exponential_ceiling(attempt: int, base: float, cap: float, multiplier: float = 2.0) -> float:
    """``min(cap, base * multiplier**(attempt - 1))``, computed by tenacity's wait_exponential
    (which also saturates at ``cap`` instead of overflowing on huge attempt numbers)."""
    wait = tenacity.wait_exponential(multiplier=base, max=cap, exp_base=multiplier)
    return float(wait(call_state(attempt)))


def full_jitter(rng: random.Random, attempt: int, base: float, cap: float) -> float:
    """Brooker 2015: ``U(0, min(cap, base * 2**n))``."""
    return rng.uniform(0.0, exponential_ceiling(attempt, base, cap))


def equal_jitter(rng: random.Random, attempt: int, base: float, cap: float) -> float:
    """Brooker 2015: ``t/2 + U(0, t/2)`` with ``t = min(cap, base * 2**n)``: never less than
    half the exponential delay."""
    half = exponential_ceiling(attempt, base, cap) / 2
    return half + rng.uniform(0.0, half)


def decorrelated_jitter(rng: random.Random, previous: float, base: float, cap: float) -> float:
    """Brooker 2015: ``min(cap, U(base, 3 * previous))``, where ``previous`` is this request's
    previous delay (``base`` before its first retry)."""
    return min(cap, rng.uniform(base, 3 * previous))

