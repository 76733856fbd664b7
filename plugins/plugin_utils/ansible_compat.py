"""The one place where ConfVault touches ansible-core internals.

Each shim names the ansible-core versions it was written against; ``meta/runtime.yml``
pins the range we test (2.19.x). When ansible-core moves, this file is what to revisit.
"""

from __future__ import annotations

from typing import Any


def set_network_cli_option(connection: Any, name: str, value: Any) -> None:
    """Set a connection option of network_cli *and* of its SSH sub-plugin.

    ansible.netcommon 8.x: network_cli logs in through its ``ssh_type_conn`` (libssh or
    paramiko), which keeps its own copy of the login options (and whose values win in
    ``network_cli.get_options()``). An option set on network_cli alone (say the password)
    is therefore not used. Options one of the two plugins lacks are skipped.
    """
    from ansible.errors import AnsibleError

    targets = [connection, getattr(connection, "ssh_type_conn", None)]
    for target in targets:
        if target is None:
            continue
        try:
            target.set_option(name, value)
        except (KeyError, AnsibleError):  # "No config definition exists for ..."
            continue


def configured_option(plugin_type: str, plugin_name: str, option: str) -> Any:
    """A plugin option's value from environment, ansible.cfg or its default (not from vars).

    ansible-core 2.19: a plugin's option definitions are registered with the config
    manager when the plugin is loaded, under its Python module name
    (``ansible_collections.ansible.netcommon.plugins.connection.network_cli``), which is
    the plugin class's ``_load_name``.
    """
    from ansible import constants as C
    from ansible.plugins.loader import connection_loader

    loaders = {"connection": connection_loader}
    plugin = loaders[plugin_type].get(plugin_name, class_only=True)
    return C.config.get_config_value(option, plugin_type=plugin_type, plugin_name=plugin._load_name)


def build_connection(name: str, play_context: Any, task: Any, task_vars: dict[str, Any], templar: Any) -> Any:
    """A connection plugin object for this host, with its options set as ansible-core would.

    ansible-core 2.19: ``TaskExecutor._get_connection`` and ``_set_connection_options``
    do exactly this, then start an ``ansible-connection`` daemon for persistent plugins
    (network_cli) unless the action says ``_requires_connection = False``. The backup
    action says so and runs network_cli in the worker itself, so it needs the same object.
    """
    import os

    from ansible.plugins.loader import connection_loader

    play_context = play_context.copy()
    play_context.connection = name
    connection = connection_loader.get(
        name, play_context, None, task_uuid=task._uuid, ansible_playbook_pid=str(os.getppid())
    )
    task_keys = task.dump_attrs()
    task_keys["timeout"] = play_context.timeout
    if play_context.password:
        task_keys["password"] = play_context.password
    task_keys.pop("retries", None)
    connection.set_options(task_keys=task_keys, var_options=connection._resolve_option_variables(task_vars, templar))
    return connection
