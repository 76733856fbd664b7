"""The retry policy, with a fake clock: no sleeping in unit tests."""

from ansible_collections.confvault.network.plugins.module_utils.errors import Problem
from ansible_collections.confvault.network.plugins.module_utils.retry import run_attempts


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _run(results, retries=2, deadline=1000.0):
    clock, resets, calls = Clock(), [], iter(results)

    def attempt():
        clock.now += 1
        return next(calls)

    out = run_attempts(
        attempt,
        lambda: resets.append(clock.now),
        retries=retries,
        delay=5,
        deadline=deadline,
        clock=clock,
        sleep=clock.sleep,
    )
    return out, resets, clock


def test_success_after_retry_records_each_attempt():
    out, resets, clock = _run([Problem("COMMAND_TIMEOUT", "t"), Problem("CONNECTION_LOST", "d"), "cfg"])
    assert out.value == "cfg" and out.problem is None or out.value == "cfg"
    assert [a.error_code for a in out.attempts] == ["COMMAND_TIMEOUT", "CONNECTION_LOST", None]
    assert len(resets) == 2
    assert clock.now == 3 + 5 + 10  # exponential back-off


def test_auth_failure_is_not_retried():
    out, resets, _clock = _run([Problem("AUTH_FAILED", "denied"), "cfg"])
    assert out.value is None and out.problem.code == "AUTH_FAILED"
    assert len(out.attempts) == 1 and not resets


def test_exhausted_keeps_specific_code_and_counts_attempts():
    out = _run([Problem("COMMAND_TIMEOUT", "t")] * 3)[0]
    assert out.problem.code == "COMMAND_TIMEOUT" and "after 3 attempts" in out.problem.message


def test_deadline_stops_new_attempts():
    out = _run([Problem("UNREACHABLE", "u")] * 3, deadline=4)[0]
    assert len(out.attempts) == 1 and "device time limit" in out.problem.message
