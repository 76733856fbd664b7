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

The spec is read once, when the backup action is imported: the recorder's preload imports
it in the controller before the first fork, so every worker shares it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

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


def problems(
    task_vars: Mapping[str, Any],
    template: Callable[[Any], Any],
    options: Mapping[str, dict[str, Any]] | None = None,
) -> list[str]:
    """What is wrong with the role variables this host sees (templated first, as Ansible's own
    check does); [] when everything is valid."""
    spec = dict(OPTIONS if options is None else options)
    given = {name: template(task_vars[name]) for name in spec if name in task_vars}
    result = ArgumentSpecValidator(spec).validate(given)
    return [str(message) for message in result.error_messages]
