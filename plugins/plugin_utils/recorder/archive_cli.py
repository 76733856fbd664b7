"""Command line to put archived executions back (db/archive.py wrote them):

    python -m ansible_collections.confvault.network.plugins.plugin_utils.recorder.archive_cli \\
        [--db URL] FILE.jsonl.gz...

From a checkout, scripts/restore-archive.py runs this with the same arguments. Rows that
exist already are skipped; the daily and per-device totals are left as they are (archived
rows were never subtracted). Exit status: 0 restored, 2 usage, 1 a bad file or database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="restore-archive", description="Restore archived ConfVault executions.")
    p.add_argument(
        "--db",
        help="SQLAlchemy URL of the history database "
        "(default: $CONFVAULT_DB_URL, else sqlite:///~/.confvault/confvault.db)",
    )
    p.add_argument("files", nargs="+", type=Path, help="archive files, executions-YYYY-MM.jsonl.gz")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        parser().error(f"no such archive file: {', '.join(missing)}")
    try:
        from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import archive
        from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
            RecorderStore,
        )

        store = RecorderStore(args.db or None)
        try:
            counts = archive.restore(store, args.files)
        finally:
            store.close()
    except (ImportError, ValueError, OSError) as exc:
        print(f"restore-archive: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored {counts['executions']} executions and {counts['attempts']} attempts"
        f" ({counts['skipped']} already there)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
