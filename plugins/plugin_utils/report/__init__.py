"""report/: a run's report out of the history database (``run_report.py``: rows, .xlsx and
.csv) and its command line (``cli.py``, also ``scripts/run-report.py``)."""
