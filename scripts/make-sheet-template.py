#!/usr/bin/env python
"""Write the device sheet template: inventory/devices-template.xlsx (or the path given).

    .venv/bin/python scripts/make-sheet-template.py [OUT.xlsx]

Tab "Devices": the columns of the confvault.network.sheet inventory plugin with three
example rows (documentation addresses), drop-down lists for platform and status.
Tab "Help": what each column means (written from the plugin's own column table, so the
two cannot drift apart), the platforms and their aliases, the statuses.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".collections"))  # scripts/setup.sh links the checkout there

from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Alignment, Font, PatternFill  # noqa: E402
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402

from ansible_collections.confvault.network.plugins.module_utils.platforms import PLATFORMS  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.sheet import (  # noqa: E402
    COLUMNS,
    DEFAULT_STATUSES,
)

EXTRA = ("notes", "Any other column becomes a host var of the same name (lower case, spaces as '_').", "rack B4")
EXAMPLES = (
    (
        "core-sw-01",
        "192.0.2.10",
        "cisco.ios.ios",
        "cisco",
        "lon",
        "core",
        "online",
        22,
        "C9300-48P",
        "netops",
        "rack B4",
    ),
    ("edge-rt-01", "192.0.2.20", "huawei", "", "par", "edge", "online", 22, "NE40E-X8", "netops", ""),
    (
        "dc-leaf-01",
        "2001:db8::30",
        "arista.eos.eos",
        "arista",
        "ams",
        "leaf",
        "maintenance",
        None,
        "7050SX3",
        "dcops",
        "replaced 2026-03",
    ),
)
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
# Fixed, so that regenerating the template changes nothing when nothing changed.
STAMP = dt.datetime(2026, 1, 1)


def build() -> Workbook:
    book = Workbook()
    devices = book.active
    devices.title = "Devices"
    headers = [c.name for c in COLUMNS] + [EXTRA[0]]
    devices.append(headers)
    for row in EXAMPLES:
        devices.append(list(row))
    for cell in devices[1]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    devices.freeze_panes = "A2"
    for index, name in enumerate(headers, start=1):
        devices.column_dimensions[devices.cell(1, index).column_letter].width = max(12, len(name) + 4)
    letter = {name: devices.cell(1, i).column_letter for i, name in enumerate(headers, start=1)}
    # Aliases are accepted too, hence a warning rather than a refusal for platform.
    platform = DataValidation(
        type="list",
        formula1='"' + ",".join(p.network_os for p in PLATFORMS) + '"',
        errorStyle="warning",
        showErrorMessage=True,
        error="Not a fully qualified platform: fine if it is an alias (see Help).",
    )
    status = DataValidation(type="list", formula1='"' + ",".join(DEFAULT_STATUSES) + '"', showErrorMessage=True)
    port = DataValidation(type="whole", operator="between", formula1="1", formula2="65535", showErrorMessage=True)
    for rule, name in ((platform, "platform"), (status, "status"), (port, "port")):
        devices.add_data_validation(rule)
        rule.add(f"{letter[name]}2:{letter[name]}1000")

    help_tab = book.create_sheet("Help")
    help_tab.append(["Column", "Required", "Meaning", "Example"])
    for c in COLUMNS:
        help_tab.append([c.name, "yes" if c.required else "no", c.meaning, c.example])
    help_tab.append([EXTRA[0], "no", EXTRA[1], EXTRA[2]])
    help_tab.append(
        [
            "(passwords)",
            "never",
            "A password, secret, token or community column is refused: secrets come from vault or AWX credentials.",
            "",
        ]
    )
    help_tab.append([])
    help_tab.append(["Platform", "Vendor", "Group", "Aliases accepted in the platform column"])
    for p in PLATFORMS:
        help_tab.append([p.network_os, p.vendor, f"platform_{p.short}", ", ".join((p.short, *p.aliases))])
    help_tab.append([])
    help_tab.append(["Status", "", "", "Meaning"])
    meanings = ("backed up (the default when empty)", "skipped by the backup", "skipped by the backup")
    for s, meaning in zip(DEFAULT_STATUSES, meanings, strict=True):
        help_tab.append([s, "", "", meaning])
    for row in help_tab.iter_rows():
        if row[0].value in ("Column", "Platform", "Status"):
            for cell in row:
                cell.font, cell.fill = BOLD, HEAD_FILL
        row[2].alignment = row[3].alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCD", (30, 10, 70, 45), strict=True):
        help_tab.column_dimensions[col].width = width
    book.properties.creator = "ConfVault"
    book.properties.created = book.properties.modified = STAMP
    return book


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "inventory" / "devices-template.xlsx"
    build().save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
