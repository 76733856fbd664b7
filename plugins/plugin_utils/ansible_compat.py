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


def silence_error_patterns(connection: Any) -> None:
    """Stop network_cli from matching its terminal plugin's ``terminal_stderr_re`` against
    what the device prints (login banners, the answer to the config command).

    ansible.netcommon 8.x: ``network_cli.receive()`` fails as soon as any error regex
    matches anywhere in the text received, so a banner line "% Error: unauthorized access"
    or a description "peer not found" failed the backup. The regexes come from the
    ``terminal_stderr_re`` option when the user set one (kept: their choice), else from the
    terminal plugin object's attribute, which we empty for this connection only. ConfVault
    judges the answer itself (module_utils/validate.py).
    """
    if connection.get_option("terminal_stderr_re"):
        return
    terminal = getattr(connection, "_terminal", None)
    if terminal is not None:
        terminal.terminal_stderr_re = []


def network_cli_shell(connection: Any) -> tuple[Any, str, str]:
    """(interactive channel, ssh_type, prompt) of a logged-in network_cli connection.

    ansible.netcommon 8.x: ``_ssh_shell`` is the paramiko ``Channel`` or the pylibssh
    channel that ``invoke_shell()`` returned; ``get_prompt()`` the last prompt matched.
    """
    prompt = connection.get_prompt() or b""
    text = prompt.decode("utf-8", "replace") if isinstance(prompt, bytes) else str(prompt)
    return connection._ssh_shell, str(connection.ssh_type), text.strip()


# -- inventory sources (confvault.network.inventory_check) -------------------------------------


def inventory_processed_sources(task_vars: dict[str, Any]) -> list[str | None] | None:
    """The inventory sources ansible-core parsed for this run, or None if they cannot be had.

    ansible-core 2.19: ``task_vars["hostvars"]`` is the run's ``HostVars``, whose ``_inventory``
    is the ``InventoryManager``; its ``InventoryData.processed_sources`` lists each file (or
    host list) a plugin parsed, in order (``None`` for a directory; the ``constructed`` plugin
    reads the same list). The action reads it in the forked worker
    (``ansible.utils.multiprocessing`` uses ``fork``), a copy of the controller's inventory.
    """
    manager = getattr(task_vars.get("hostvars"), "_inventory", None)
    processed = getattr(getattr(manager, "_inventory", None), "processed_sources", None)
    return list(processed) if isinstance(processed, list) else None


def inventory_source_ignored(name: str) -> bool:
    """Whether ansible-core skips this directory entry of an inventory directory.

    ansible-core 2.19: ``ansible.inventory.manager.IGNORED`` (hidden files, ``group_vars``,
    ``host_vars``, ``vars_plugins``, INVENTORY_IGNORE_PATTERNS and INVENTORY_IGNORE_EXTS).
    """
    from ansible.inventory.manager import IGNORED
    from ansible.module_utils.common.text.converters import to_bytes

    return bool(IGNORED.search(to_bytes(name)))


def enabled_inventory_plugins() -> list[str]:
    """``[inventory] enable_plugins``, in ansible-core's order of trying them."""
    from ansible import constants as C

    return list(C.INVENTORY_ENABLED)


def parse_inventory_source(source: str, loader: Any) -> Any:
    """Parse one inventory source alone, into a throw-away inventory; an ``inventory_check.
    ParseOutcome`` with each plugin's error when none parsed it.

    ansible-core 2.19: mirrors ``InventoryManager.parse_source`` for a file or host list: each
    enabled plugin whose ``verify_file`` accepts the source tries ``parse``; the first that
    succeeds wins, and the errors of the others are what ansible-core shows as warnings
    ("Failed to parse inventory with 'auto' plugin..."). An error's ``obj`` is its ``Origin``
    (``path``, ``line_num``, ``col_num``) when the plugin located it.
    """
    from ansible.inventory.data import InventoryData
    from ansible.module_utils.common.text.converters import to_text
    from ansible.plugins.loader import inventory_loader

    from ansible_collections.confvault.network.plugins.plugin_utils.inventory_check import (
        ParseError,
        ParseOutcome,
    )

    errors = []
    inventory = InventoryData()
    for name in enabled_inventory_plugins():
        plugin = inventory_loader.get(name)
        if not plugin:
            continue
        plugin_name = to_text(getattr(plugin, "_load_name", getattr(plugin, "_original_path", name)))
        try:
            wants = bool(plugin.verify_file(source))
        except Exception:  # noqa: BLE001 - ansible-core treats it as "not mine" too
            wants = False
        if not wants:
            continue
        try:
            plugin.parse(inventory, loader, source, cache=False)
        except Exception as exc:  # noqa: BLE001 - every plugin error is a reason to report
            origin = getattr(exc, "obj", None)
            line = getattr(origin, "line_num", None)
            where = f"{origin.path}:{line}:{getattr(origin, 'col_num', None) or 1}" if line else None
            errors.append(ParseError(plugin_name, str(exc).strip() or type(exc).__name__, where))
            continue
        return ParseOutcome(True)
    return ParseOutcome(False, tuple(errors))


def wait_for_free_worker(workers: list[Any], poll: float = 0.05) -> None:
    """Block until one of the strategy's worker slots is free (None, or its process ended).

    ansible-core 2.19 ``StrategyBase._queue_task``: with every fork busy it loops over the
    slots calling ``is_alive()`` with a 0.1 ms sleep between rounds, a busy wait that cost
    the controller about 5 ms of CPU per device in a 10-fork backup (issue 19). Waiting on
    the workers' process sentinels instead (``multiprocessing.connection.wait``) sleeps in
    the kernel until one ends; ``_queue_task`` then finds that slot at once. ``poll`` only
    bounds each wait, so a slot freed any other way is seen within it.
    """
    from multiprocessing.connection import wait

    while True:
        sentinels = []
        for worker in workers:
            try:
                if worker is None or not worker.is_alive():
                    return
                sentinels.append(worker.sentinel)
            except ValueError:  # a closed process: its slot is free
                return
        if not sentinels:
            return
        wait(sentinels, timeout=poll)


def throttle_once(task: Any, loader: Any, task_vars: dict[str, Any]) -> None:
    """Template a task's ``throttle`` once, with the variables of the first host queued, and
    keep the integer on the task.

    ansible-core 2.19 templates ``throttle`` for every host twice, in
    ``StrategyBase._queue_task`` and in the worker's ``Task.post_validate``, and compiles the
    Jinja expression from scratch each time (``Environment.from_string`` has no cache): about
    5 ms of CPU per device for ``throttle: "{{ confvault_throttle | default(0) | int }}"``
    (issue 19). A value that does not template to an integer is left as it is, for
    ansible-core to report.
    """
    from ansible.template import Templar

    value = task.throttle
    if not isinstance(value, str):
        return
    try:
        task.throttle = int(Templar(loader=loader, variables=task_vars).template(value))
    except Exception:  # noqa: BLE001 - ansible-core's own check reports it, as before
        return


def connection_once(task_vars: dict[str, Any], loader: Any) -> None:
    """Template the host's ``ansible_connection`` in the controller, before its worker forks.

    ansible-core 2.19 templates ``ansible_connection`` twice in each worker
    (``TaskExecutor._execute`` and the play context), each a fresh Jinja compilation and,
    for the backup role's expression (``roles/backup/vars/main.yml``), a filter plugin load;
    done once here, each worker gets the plain name (issue 19). A value that fails to
    template is left as it is, for the worker to report as before.
    """
    from ansible.template import Templar

    value = task_vars.get("ansible_connection")
    if not isinstance(value, str) or "{" not in value:
        return
    try:
        name = Templar(loader=loader, variables=task_vars).template(value)
    except Exception:  # noqa: BLE001 - the worker reports it, as before
        return
    if isinstance(name, str):
        task_vars["ansible_connection"] = name
