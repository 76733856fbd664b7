"""Command line for run reports (report.py): a run's executions as .xlsx and/or .csv.

    python -m ansible_collections.confvault.network.plugins.plugin_utils.report.cli \\
        [--db URL] [--run ID|latest] [--xlsx OUT.xlsx] [--csv OUT.csv]

From a checkout, scripts/run-report.py runs this with the same arguments. Exit status:
0 written, 2 usage, 1 no such database/run or a missing package.
"""

from __future__ import annotations

import argparse
import sys

from ansible_collections.confvault.network.plugins.plugin_utils.report.run_report import (
    LATEST,
    ReportError,
    load_report,
    write_csv,
    write_xlsx,
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run-report", description="Write a ConfVault run's executions to .xlsx/.csv.")
    p.add_argument(
        "--db",
        help="SQLAlchemy URL of the history database "
        "(default: $CONFVAULT_DB_URL, else sqlite:///~/.confvault/confvault.db)",
    )
    p.add_argument("--run", default=LATEST, help="run id, or 'latest' (the default)")
    p.add_argument("--xlsx", help="write the report workbook here (Executions and Summary tabs)")
    p.add_argument("--csv", help="write the executions here as CSV")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not (args.xlsx or args.csv):
        parser().error("give --xlsx and/or --csv")
    try:
        report = load_report(args.db, args.run)
        if args.xlsx:
            write_xlsx(report, args.xlsx)
        if args.csv:
            write_csv(report, args.csv)
    except ReportError as e:
        print(f"run-report: {e}", file=sys.stderr)
        return 1
    run = report.run
    outputs = " and ".join(p for p in (args.xlsx, args.csv) if p)
    print(f"run {run['run_id']} ({run['status']}, {len(report.executions)} device(s)) written to {outputs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
