"""The backup role's variables, checked inside the backup task against the role's own spec.

``roles/backup/meta/argument_specs.yml`` describes every role variable (``ansible-doc -t
role confvault.network.backup`` reads it). Given an entry point with a spec, ansible-core
prepends a ``validate_argument_spec`` task to the role: one more task per host, so one
more worker process, variable computation and result per device, about 15 % of a device's
controller CPU (issue 19, docs/performance.md). The collection's playbooks therefore enter
the role through ``tasks_from: backup`` (no spec of its own, so no extra task), and the
backup action checks the same variables with the same validator here, before it contacts
the device: a wrong value still fails the device with the variable named, never silently
coerced by the task's ``| int`` filters. A playbook that uses the role directly
(``roles: [confvault.network.backup]``) keeps Ansible's own check as well.

The backup task passes no arguments either: each one would be a Jinja template that
ansible-core compiles from scratch in every worker (ten of them were about a third of a
worker's CPU, issue 19). The action builds its arguments here from the same, already
checked, variables (``task_arguments``); an argument given in the task still wins.

The spec is read once, when the backup action is imported: the recorder's preload imports
it in the controller before the first fork, so every worker shares it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.confvault.network.plugins.module_utils.settings import SETTINGS, normalise_skip_statuses

SPEC_FILE = Path(__file__).resolve().parents[2] / "roles" / "backup" / "meta" / "argument_specs.yml"
ENTRY_POINT = "main"


def load_options(path: Path = SPEC_FILE) -> dict[str, dict[str, Any]]:
    """The options of the role's ``main`` entry point; {} when the file is not there (the
    action plugin used without the role)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        return {}
    return dict((document.get("argument_specs") or {}).get(ENTRY_POINT, {}).get("options") or {})


OPTIONS: dict[str, dict[str, Any]] = load_options()


# Role variable -> the backup action's argument it becomes: the settings table's (the ones
# with a range) and three more. confvault_skip_statuses is built by task_arguments.
ARGUMENT_OF: dict[str, str] = {
    "confvault_transport": "transport",
    "confvault_backup_dir": "backup_dir",
    "confvault_redact": "redact",
    **{s.variable: s.argument for s in SETTINGS if s.argument and s.variable != "confvault_skip_statuses"},
}
STATUS_VARIABLE = "status"  # the inventory variable holding a device's status


def checked(
    task_vars: Mapping[str, Any],
    template: Callable[[Any], Any],
    options: Mapping[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The role variables this host sees, templated (as Ansible's own check does): as given,
    as the spec converts them (only those given), and what is wrong with them ([] when
    everything is valid)."""
    spec = dict(OPTIONS if options is None else options)
    given = {name: template(task_vars[name]) for name in spec if name in task_vars}
    result = ArgumentSpecValidator(spec).validate(given)
    values = {name: value for name, value in result.validated_parameters.items() if name in given}
    return given, values, [str(message) for message in result.error_messages]


def problems(
    task_vars: Mapping[str, Any],
    template: Callable[[Any], Any],
    options: Mapping[str, dict[str, Any]] | None = None,
) -> list[str]:
    """What is wrong with the role variables this host sees; [] when everything is valid."""
    return checked(task_vars, template, options)[2]


def task_arguments(given: Mapping[str, Any], values: Mapping[str, Any], status: Any = None) -> dict[str, Any]:
    """The backup action's arguments from the role variables (``checked``'s first two) and
    the device's ``status`` variable (None: not set). Only what the variables say: an
    argument without its variable keeps the action's default.

    An empty ``confvault_backup_dir`` is no argument (the default directory). The skip
    statuses are the variable as given (a string is a comma-separated list, "" or null
    none), without ``maintenance`` when ``confvault_include_maintenance`` is true.
    """
    args = {argument: values[variable] for variable, argument in ARGUMENT_OF.items() if variable in values}
    if not args.get("backup_dir"):
        args.pop("backup_dir", None)
    if "confvault_skip_statuses" in given:
        args["skip_statuses"] = normalise_skip_statuses(given["confvault_skip_statuses"])
    if values.get("confvault_include_maintenance"):
        skip = args.get("skip_statuses", ["maintenance", "offline"])
        if isinstance(skip, list):
            args["skip_statuses"] = [item for item in skip if item != "maintenance"]
    if status is not None:
        args["device_status"] = status
    return args
