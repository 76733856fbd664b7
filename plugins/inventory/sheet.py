# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin ``confvault.network.sheet``: one host per row of an .xlsx or .csv device sheet."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sheet
short_description: Network devices from an .xlsx or .csv device sheet
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Reads a device sheet (one row per device) and makes a host per row, with
    C(ansible_host), C(ansible_port), C(ansible_network_os), C(ansible_connection=ansible.netcommon.network_cli)
    and the host vars C(vendor), C(site), C(role), C(model), C(status), C(confvault_credential).
  - Columns C(hostname), C(address) and C(platform) are required; C(vendor), C(site), C(role), C(status),
    C(port), C(model) and C(credential) are known; any other column becomes a host var of that name.
  - Groups C(vendor_<v>), C(platform_<short name>), C(site_<v>), C(status_<v>), C(credential_<v>) (see O(group_by)),
    plus O(keyed_groups), O(groups) and O(compose).
  - Sheets are read as a stream, under caps on rows, columns, cells, cell length and file size
    (O(max_rows) and the other C(max_*) options); a sheet past a cap stops the load with an error that
    names the file and the option to raise.
  - Every problem (missing column, duplicate hostname, bad address, unknown platform or status, formula,
    merged cells, non-ASCII name, password column...) is reported with its file, sheet, row and column, and
    no host is loaded unless O(skip_bad_rows) is set. Blank rows are ignored.
  - Passwords never come from the sheet; a password or secret column is an error. Name a credential set in
    the C(credential) column and give its secrets in group_vars/credential_<name> (vault) or AWX.
  - The template sheet C(inventory/devices-template.xlsx) in the collection documents each column in its
    second tab.
  - The config file name must end with C(sheet.yml), C(sheet.yaml), C(confvault.yml) or C(confvault.yaml).
requirements:
  - openpyxl (for .xlsx; .csv needs nothing)
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [confvault.network.sheet]
  path:
    description:
      - The device sheet, .xlsx or .csv. A relative path is relative to this config file's directory;
        C(~) and environment variables are expanded.
    type: str
    required: true
  sheet:
    description: The worksheet of an .xlsx file; default C(Devices) if there is one, else the first.
    type: str
  header_row:
    description: The row that holds the column names; rows above it are ignored.
    type: int
    default: 1
  skip_bad_rows:
    description: Load the good rows and list the bad ones in a warning, instead of loading nothing.
    type: bool
    default: false
  statuses:
    description: The allowed values of the C(status) column.
    type: list
    elements: str
    default: [online, maintenance, offline]
  group_by:
    description: Columns whose values make groups C(<column>_<value>).
    type: list
    elements: str
    default: [vendor, platform, site, status, credential]
  max_rows:
    description:
      - The most rows under the header that may hold a value. The sheet is read row by row and empty
        rows cost nothing, so a stray formatted cell far below the table is ignored; a value past this
        row stops the load with an error naming the file, the row and this option.
    type: int
    default: 100000
  max_columns:
    description: The last column that may hold a value (200 is column GR); a value further right stops the load.
    type: int
    default: 200
  max_cells:
    description: The most non-empty cells in the sheet (this bounds the memory a load takes).
    type: int
    default: 2000000
  max_cell_chars:
    description: The most characters in one cell; a longer cell stops the load with its row and column.
    type: int
    default: 4096
  max_file_bytes:
    description: The largest .xlsx or .csv file read, in bytes (default 50 MiB).
    type: int
    default: 52428800
  max_uncompressed_bytes:
    description:
      - The most an .xlsx may unpack to, in bytes (default 200 MiB), summed over the files inside it.
        Checked from the zip directory before anything is unpacked, so a zip bomb stops at once.
    type: int
    default: 209715200
  max_compression_ratio:
    description:
      - The most a file inside an .xlsx may unpack to, as a multiple of its packed size (files under
        1 MiB exempt). Real sheets pack 5 to 30 times; a zip bomb a thousand.
    type: int
    default: 100
"""

EXAMPLES = r"""
# inventory/sheet.confvault.yml; then: ansible-inventory -i inventory/sheet.confvault.yml --graph
plugin: confvault.network.sheet
path: devices.xlsx
# group_vars/credential_netops.yml (vaulted) gives ansible_user/ansible_password for rows with credential=netops
keyed_groups:
  - key: role
    prefix: role
compose:
  ansible_become: ansible_network_os in ['cisco.ios.ios', 'arista.eos.eos', 'confvault.network.rgos']
  ansible_become_method: "'enable'"
"""

import os
from typing import Any

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

# ansible-core 2.19: inventory data is untrusted unless tagged, and wrap_var is how a
# plugin says so on every version we support (deprecated, removed in 2.23: revisit then).
from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ansible_collections.confvault.network.plugins.plugin_utils.sheet import (
    LIMIT_NAMES,
    Limits,
    MissingDependency,
    SheetError,
    SheetResult,
    load_sheet,
)

SUFFIXES = ("sheet.yml", "sheet.yaml", "confvault.yml", "confvault.yaml")


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "confvault.network.sheet"

    def verify_file(self, path: str) -> bool:
        return bool(super().verify_file(path)) and path.endswith(SUFFIXES)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        given = os.path.expanduser(os.path.expandvars(self.get_option("path")))
        sheet_path = os.path.join(os.path.dirname(os.path.abspath(path)), given)
        try:
            limits = Limits(**{name: self.get_option(name) for name in LIMIT_NAMES})
        except SheetError as e:
            raise AnsibleParserError(f"{path}: {e}") from e
        try:
            result = load_sheet(
                sheet_path,
                sheet=self.get_option("sheet"),
                header_row=self.get_option("header_row"),
                statuses=self.get_option("statuses"),
                group_by=self.get_option("group_by"),
                limits=limits,
            )
        except MissingDependency as e:
            raise AnsibleError(str(e)) from e
        except SheetError as e:  # LimitExceeded too: the file, the cap and the option to raise
            raise AnsibleParserError(str(e)) from e
        except Exception as e:  # a bug, not the sheet: still say which file, never "Unexpected AnsibleError"
            raise AnsibleParserError(f"{sheet_path}: could not read the sheet: {type(e).__name__}: {e}") from e
        # All or nothing: a sheet with problems adds no host, unless the user opted in.
        if result.fatal or (result.problems and not self.get_option("skip_bad_rows")):
            raise AnsibleParserError(result.error_text())
        if result.problems:
            self.display.warning(result.skipped_text())
        if result.blank_rows:
            self.display.v(f"{sheet_path}: ignored blank rows {', '.join(map(str, result.blank_rows))}")
        self._populate(result)

    def _populate(self, result: SheetResult) -> None:
        strict = self.get_option("strict")
        for device in result.devices:
            host = self.inventory.add_host(make_unsafe(device.hostname))
            hostvars = make_unsafe(device.hostvars)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            for group in device.groups:
                self.inventory.add_child(self.inventory.add_group(group), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
