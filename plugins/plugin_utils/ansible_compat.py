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

    Waiting on the workers' process sentinels (``multiprocessing.connection.wait``) sleeps
    in the kernel until one ends (see :func:`queue_without_busy_wait`). ``poll`` only
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


# Compiled Jinja templates kept per process: (source, options, basedir) -> template.
TEMPLATE_CACHE_SIZE = 512
TEMPLATE_CACHE_MAX_CHARS = 4096  # a whole template file is compiled once anyway: not kept


def cache_template_compiles() -> bool:
    """Keep ansible-core's compiled Jinja templates for reuse; True when in place.

    ansible-core 2.19 ``TemplateEngine._compile_template`` compiles every string template from
    scratch on every use (``Environment.from_string`` has no cache), and each engine builds
    its own Jinja environment: the backup role's ``throttle`` and ``ansible_connection``
    were compiled four times per device, once in the controller and three times in its
    worker, about 1.5 ms of CPU each (issue 19). Jinja's own ``Environment.cache`` does the
    same for template files: a compiled template is code, rendered with each call's
    variables, so one compiled in an engine with the same loader directory, class and
    options renders the same. Compile errors (a deferred error bound to its engine) and
    templates compiled for Jinja source debugging are never kept. Installed by
    ``preload.warm`` in the controller before the first fork, so workers inherit the
    templates the controller compiled; any other ansible-core leaves this off.
    """
    try:
        from ansible._internal._templating import _engine
        from ansible._internal._templating._jinja_bits import AnsibleEnvironment, AnsibleTemplate
    except ImportError:
        return False
    engine = _engine.TemplateEngine
    compile_template = getattr(engine, "_compile_template", None)
    if compile_template is None:
        return False
    if getattr(compile_template, "confvault_cache", None) is not None:
        return True
    cache: dict[tuple[Any, ...], Any] = {}

    def _compile_template(self: Any, template: str, options: Any) -> Any:
        if len(template) > TEMPLATE_CACHE_MAX_CHARS or AnsibleEnvironment._debuggable_template_source:
            return compile_template(self, template, options)
        try:
            key = (type(self), str(template), options, self.basedir)
            found = cache.get(key)
        except TypeError:  # an option that cannot be a key (an unhashable value_for_omit)
            return compile_template(self, template, options)
        if found is not None:
            return found
        compiled = compile_template(self, template, options)
        if isinstance(compiled, AnsibleTemplate):
            if len(cache) >= TEMPLATE_CACHE_SIZE:
                cache.clear()
            cache[key] = compiled
        return compiled

    _compile_template.confvault_cache = cache  # type: ignore[attr-defined]
    _compile_template.__wrapped__ = compile_template  # type: ignore[attr-defined]
    engine._compile_template = _compile_template
    return True


def warm_templates(loader: Any, templates: list[str]) -> int:
    """Compile these (trusted) template strings into the cache of
    :func:`cache_template_compiles`, with ``loader``'s directory; return how many compiled.
    Nothing is rendered: no variable is read, no lookup runs."""
    try:
        from ansible._internal._templating._engine import TemplateEngine, TemplateOptions
        from ansible._internal._templating._jinja_bits import AnsibleTemplate
        from ansible.template import trust_as_template
    except ImportError:
        return 0
    engine = TemplateEngine(loader=loader)
    done = 0
    for text in templates:
        try:
            if isinstance(engine._compile_template(trust_as_template(text), TemplateOptions.DEFAULT), AnsibleTemplate):
                done += 1
        except Exception:  # noqa: BLE001 - a template that does not compile is compiled (and reported) where used
            continue
    return done


def play_templates(play: Any) -> list[str]:
    """The string templates a play's tasks template for every host: the play's ``vars``,
    each task's ``throttle`` and ``vars``, and its role's variables and defaults
    (ansible-core 2.19 ``Play.tasks`` blocks, ``Task._role``, ``Role._role_vars`` /
    ``_default_vars``). Top-level string values only."""
    found: dict[str, None] = {}
    roles: dict[int, Any] = {}

    def add(value: Any) -> None:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            found.setdefault(value, None)

    def walk(items: Any) -> None:
        for item in items or ():
            if hasattr(item, "block"):  # a Block: its tasks, rescue and always
                for part in ("block", "rescue", "always"):
                    walk(getattr(item, part, None))
                continue
            add(getattr(item, "throttle", None))
            for value in (getattr(item, "vars", None) or {}).values():
                add(value)
            role = getattr(item, "_role", None)
            if role is not None:
                roles[id(role)] = role

    try:
        for value in (getattr(play, "vars", None) or {}).values():
            add(value)
        walk(play.tasks)
        for role in roles.values():
            for table in (getattr(role, "_role_vars", None), getattr(role, "_default_vars", None)):
                for value in (table or {}).values():
                    add(value)
    except Exception:  # noqa: BLE001 - an ansible-core that moved on: nothing to warm
        return []
    return list(found)


def queue_without_busy_wait() -> bool:
    """Make every strategy wait for a free worker without spinning; True when in place.

    ansible-core 2.19 ``StrategyBase._queue_task``, with every fork busy, loops over the
    worker slots calling ``is_alive()`` with a 0.1 ms sleep between rounds: about 5 ms of
    the controller's CPU per device in a 10-fork backup (issue 19). This wraps it: first
    :func:`wait_for_free_worker` over the slots the task may use (its ``throttle``, as
    ``_queue_task`` computes it), sleeping in the kernel until one is free, then
    ansible-core's own ``_queue_task``, which finds that slot at once. Nothing else
    changes: order, forks, throttle and errors stay ansible-core's. Installed in the
    controller by the recorder callback at play start; left off when ``_queue_task`` is
    not the one this was written against. (The throttle is templated here and again by
    ``_queue_task``: a render only, the compiled template is kept.)
    """
    import inspect

    try:
        from ansible.plugins.strategy import StrategyBase
    except ImportError:
        return False
    queue_task = StrategyBase._queue_task
    if getattr(queue_task, "confvault_waits", False):
        return True
    try:
        if list(inspect.signature(queue_task).parameters) != ["self", "host", "task", "task_vars", "play_context"]:
            return False
    except (TypeError, ValueError):
        return False

    def _queue_task(self: Any, host: Any, task: Any, task_vars: dict[str, Any], play_context: Any) -> Any:
        workers = getattr(self, "_workers", None)
        if isinstance(workers, list) and workers:
            wait_for_free_worker(workers[: _usable_workers(self, task, task_vars, len(workers))])
        return queue_task(self, host, task, task_vars, play_context)

    _queue_task.confvault_waits = True  # type: ignore[attr-defined]
    _queue_task.__wrapped__ = queue_task  # type: ignore[attr-defined]
    StrategyBase._queue_task = _queue_task
    return True


def _usable_workers(strategy: Any, task: Any, task_vars: dict[str, Any], forks: int) -> int:
    """How many worker slots ``_queue_task`` may use for this task: its throttle when
    that is below the forks (not with run_once), else all (ansible-core 2.19's rule)."""
    value = task.throttle
    if not value or not getattr(strategy, "ALLOW_BASE_THROTTLING", True) or task.run_once:
        return forks
    try:
        if isinstance(value, str):
            from ansible.template import Templar

            value = Templar(loader=strategy._loader, variables=task_vars).template(value)
        throttle = int(value)
    except Exception:  # noqa: BLE001 - _queue_task reports a throttle that is not a number
        return forks
    return throttle if 0 < throttle <= forks else forks
