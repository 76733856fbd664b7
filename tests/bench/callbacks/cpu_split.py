"""Bench-only callback: where a run's CPU goes, controller against workers (issue 19).

Not part of the collection. Load it by path, with any run (it needs no enabling):

    ANSIBLE_CALLBACK_PLUGINS=tests/bench/callbacks CPU_SPLIT_OUT=/tmp/split.jsonl \\
        .venv/bin/python tests/bench/perf.py --n 100 ... --contenders confvault-netmiko

- ``CPU_SPLIT_OUT=FILE``: at the end of each playbook, one JSON line with ``getrusage``
  of the controller itself (``self_*``) and of its reaped children (``kids_*``: the
  per-host workers, and git), user and system seconds.
- ``WPROF_DIR=DIR``: cProfile, with a CPU clock, around every worker's task; one
  ``w<pid>.prof`` per worker (merge them with ``pstats.Stats(*files)``). cProfile inflates
  Python-heavy code two to three times: read the shares.
- ``TPL_LOG=FILE``: one line per Jinja template ansible-core compiles (pid, template);
  with the recorder's template cache in place (ansible_compat), only those it did not serve.
- ``CPROF_CONTROLLER=FILE``: cProfile, with a CPU clock, over the controller's main thread
  from this callback's load to the end of the playbook (``FILE.<pid>``, one per playbook).

py-spy (``perf.py --profile``) samples every process but attaches to each short-lived
worker late; these see a worker from its first to its last line.
"""

from __future__ import annotations

import json
import os
import resource
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: cpu_split
short_description: controller and worker CPU of a run (bench only)
description: [Writes getrusage of the controller and of its workers; see the module text.]
type: aggregate
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "cpu_split"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        self._profile = None
        if os.environ.get("CPROF_CONTROLLER"):
            import cProfile

            self._profile = cProfile.Profile(time.thread_time)
            self._profile.enable()

    def v2_playbook_on_stats(self, stats: object) -> None:
        if self._profile is not None:
            self._profile.disable()
            self._profile.dump_stats(f"{os.environ['CPROF_CONTROLLER']}.{os.getpid()}")
        out = os.environ.get("CPU_SPLIT_OUT")
        if not out:
            return
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = {
            "self_user": me.ru_utime,
            "self_sys": me.ru_stime,
            "kids_user": kids.ru_utime,
            "kids_sys": kids.ru_stime,
            "maxrss_self_kib": me.ru_maxrss,
            "self_minflt": me.ru_minflt,
            "kids_minflt": kids.ru_minflt,
        }
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


def _profile_workers(directory: str) -> None:
    import cProfile

    from ansible.executor.process import worker

    run = worker.WorkerProcess._run

    def profiled(self: object) -> None:
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()
            profile.dump_stats(os.path.join(directory, f"w{os.getpid()}.prof"))

    worker.WorkerProcess._run = profiled


def _log_templates(path: str) -> None:
    from ansible._internal._templating import _engine

    compile_template = _engine.TemplateEngine._compile_template

    def logged(self: object, template: str, options: object) -> object:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {template!r}\n")
        return compile_template(self, template, options)

    _engine.TemplateEngine._compile_template = logged


if os.environ.get("WPROF_DIR"):
    _profile_workers(os.environ["WPROF_DIR"])
if os.environ.get("TPL_LOG"):
    _log_templates(os.environ["TPL_LOG"])
