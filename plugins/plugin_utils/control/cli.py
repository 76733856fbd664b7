"""``scripts/run-control.py``: pause, resume or cancel a live backup run, list live runs,
show a run's control history, delete a finished run.

    run-control.py [--db URL] status
    run-control.py [--db URL] pause|resume|cancel [RUN_ID]     (default: the only live run)
    run-control.py [--db URL] events RUN_ID
    run-control.py [--db URL] delete RUN_ID [--yes]            (asks to type the id back)

Every request is recorded in run_events with who made it (``--by``, default the login name).
Exit status: 0 done, 1 refused (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable

from ansible_collections.confvault.network.plugins.plugin_utils.control import runs, state
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
    default_url,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run-control.py", description="Control ConfVault backup runs.")
    parser.add_argument("--db", default=None, help="history database URL (default: $CONFVAULT_DB_URL or ~/.confvault)")
    parser.add_argument("--by", default=None, help="who asks, for the run's history (default: your login name)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="list the runs in progress")
    for action in state.ACTIONS:
        one = sub.add_parser(action, help=f"{action} a run in progress")
        one.add_argument("run", nargs="?", help="run id (default: the only run in progress)")
    events = sub.add_parser("events", help="a run's control history")
    events.add_argument("run")
    delete = sub.add_parser("delete", help="delete a finished run's executions and attempts (versions stay)")
    delete.add_argument("run")
    delete.add_argument("--yes", action="store_true", help="do not ask to type the run id back")
    return parser


def main(argv: list[str] | None = None, ask: Callable[[str], str] = input) -> int:
    args = _parser().parse_args(argv)
    actor = args.by or getpass.getuser()
    store = RecorderStore(args.db or default_url())
    try:
        if args.command == "status":
            live = runs.live_runs(store)
            for run in live:
                who = run.get("awx_user_name") or run.get("user_name")
                print(
                    f"{run['run_id']}  {run['status']:<8} {state.progress_text(run)}  by {who}  since {run['created_at']}"
                )
            if not live:
                print("no run in progress")
            return 0
        if args.command in state.ACTIONS:
            run = runs.request(store, args.run, args.command, actor)
            print(
                f"run {run['run_id']}: {args.command} requested by {actor}; now {run['status']}, {state.progress_text(run)}"
            )
            return 0
        if args.command == "events":
            for event in runs.events(store, args.run):
                print(f"{event['at']}  {event['event']:<8} {event['actor'] or ''}  {event['detail'] or ''}".rstrip())
            return 0
        if not args.yes:
            typed = ask(f"Delete run {args.run} from the history (config versions stay)? Type its id to confirm: ")
            if typed.strip() != args.run:
                print("not deleted: the id typed does not match", file=sys.stderr)
                return 1
        done = runs.delete_run(store, args.run, actor)
        print(
            f"run {args.run} deleted by {actor} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}: "
            f"{done['executions']} execution(s), {done['attempts']} attempt(s); "
            f"{done['versions_kept']} config version(s) kept"
        )
        return 0
    except state.ControlError as exc:
        print(f"run-control: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
