"""A time limit for one blocking call inside an Ansible worker, with SIGALRM.

The worker runs one task for one host in its main thread, and ansible-core may already have
an alarm set for the task's own ``timeout:``. :func:`limit` saves that alarm and handler,
sets its own, and puts the task's alarm back (minus the time spent) when the call ends.
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class DeadlineExceeded(Exception):
    """The call took longer than its limit."""


@contextmanager
def limit(seconds: float, message: str) -> Iterator[None]:
    """Raise :class:`DeadlineExceeded` (``message``) in the block after ``seconds``."""
    if seconds <= 0:
        raise DeadlineExceeded(message)

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise DeadlineExceeded(message)

    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left = signal.alarm(0)  # the task's own timeout, if any: seconds left
    started = time.monotonic()
    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            spent = time.monotonic() - started
            # alarm() takes whole seconds; never 0, which would cancel it
            signal.alarm(max(1, math.ceil(outer_left - spent)))
