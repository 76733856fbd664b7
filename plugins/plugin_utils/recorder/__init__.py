"""recorder/: everything the ``confvault.network.recorder`` callback does, as plain code.

``session.py`` (one run: progress, failure table, signals, heartbeat), ``events.py`` (Ansible
events and results to plain records), ``notify.py`` (webhook and e-mail at the end of a
run) and ``db/`` (the history database: schema, migrations, dialects, the store that
writes runs and executions, and the queries the history inventory and prune read).
"""
