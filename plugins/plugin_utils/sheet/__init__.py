"""Devices from a spreadsheet: the plain core behind the ``confvault.network.sheet``
inventory plugin (SPEC section 6).

``load_sheet(path)`` reads an .xlsx or .csv device sheet and returns the devices it
describes (host vars and group names) together with every problem found, each located
by file, sheet, row and column. Nothing here imports Ansible: the plugin is the glue.
"""

from __future__ import annotations

from ansible_collections.confvault.network.plugins.plugin_utils.sheet.columns import (
    COLUMNS,
    DEFAULT_GROUP_BY,
    DEFAULT_STATUSES,
    Column,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.model import (
    Device,
    SheetError,
    SheetProblem,
    SheetResult,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.reader import (
    LIMIT_NAMES,
    LimitExceeded,
    Limits,
    MissingDependency,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.validate import load_sheet

__all__ = [
    "COLUMNS",
    "DEFAULT_GROUP_BY",
    "DEFAULT_STATUSES",
    "Column",
    "Device",
    "LIMIT_NAMES",
    "LimitExceeded",
    "Limits",
    "MissingDependency",
    "SheetProblem",
    "SheetError",
    "SheetResult",
    "load_sheet",
]
