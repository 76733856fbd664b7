"""The one place where ConfVault touches ansible-core internals.

Each shim names the ansible-core versions it was written against; ``meta/runtime.yml``
pins the range we test (2.19.x). When ansible-core moves, this file is what to revisit.
"""

from __future__ import annotations

from typing import Any


def restart_persistent_connection(connection: Any, play_context: Any, task_uuid: str) -> str:
    """Start a fresh ``ansible-connection`` daemon for this host and return its socket path.

    ansible-core 2.19: ``TaskExecutor._execute`` starts the daemon once per task with
    ``start_connection(play_context, connection.get_options(), task._uuid)`` and sets
    ``connection._socket_path``. A retry inside our action plugin, after the previous
    daemon was closed, needs the same thing again; there is no public API for it.
    """
    from ansible.executor.task_executor import start_connection

    socket_path: str = start_connection(play_context, connection.get_options(), task_uuid)
    setattr(connection, "_socket_path", socket_path)
    return socket_path
