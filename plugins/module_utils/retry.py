"""The retry loop of one device backup: attempts, back-off and the whole-device deadline.

The loop takes the device I/O as callables, so the policy is tested without a device and
the action plugin stays glue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import AttemptInfo, Problem, is_retryable

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    value: T | None
    problem: Problem | None
    attempts: list[AttemptInfo] = field(default_factory=list)


def run_attempts(
    attempt: Callable[[], T | Problem],
    reset: Callable[[], None],
    *,
    retries: int,
    delay: float,
    backoff: float = 2.0,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome[T]:
    """Call ``attempt`` until it returns a value, a non-retryable problem, or we run out.

    ``deadline`` is a ``clock()`` value: no new attempt starts after it. After a failed
    attempt ``reset`` drops the (possibly wedged) session before the next one.
    """
    outcome: Outcome[T] = Outcome(None, None)
    wait = delay
    for number in range(1, retries + 2):
        started_wall, started = time.time(), clock()
        result = attempt()
        took = clock() - started
        if not isinstance(result, Problem):
            outcome.attempts.append(AttemptInfo(number, started_wall, took))
            outcome.value = result
            return outcome
        outcome.attempts.append(AttemptInfo(number, started_wall, took, result.code, result.message))
        outcome.problem = result
        last = number == retries + 1
        if not is_retryable(result.code) or last:
            break
        if clock() + wait >= deadline:
            outcome.problem = Problem(
                result.code, f"{result.message} (no time left for another attempt within the device time limit)"
            )
            break
        reset()
        sleep(wait)
        wait *= backoff
    if outcome.problem is not None and len(outcome.attempts) > 1:
        # The code stays the specific one (COMMAND_TIMEOUT, ...): that is what users act on.
        outcome.problem = Problem(
            outcome.problem.code, f"{outcome.problem.message} (after {len(outcome.attempts)} attempts)"
        )
    return outcome
