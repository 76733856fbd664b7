"""The device sheet's columns as data: what each one means, which are required, which
header spellings are accepted, and which headers are refused.

The template sheet's "Columns" tab (scripts/make-sheet-template.py) is written from
``COLUMNS``, so the documentation and the validation cannot drift apart.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str
    example: str


COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        "hostname",
        True,
        "Inventory hostname: unique (case-insensitive), ASCII letters, digits, '.', '-', '_'. "
        "Also the backup file name.",
        "core-sw-01",
    ),
    Column(
        "address",
        True,
        "Management address: IPv4, IPv6 or a DNS name (becomes ansible_host). No port here: use the port column.",
        "192.0.2.10",
    ),
    Column(
        "platform",
        True,
        "Network OS: a fully qualified name from the Platforms list, or an alias "
        "(ios, nxos, eos, junos, vrp, huawei, comware, h3c, rgos, ruijie...). Becomes ansible_network_os.",
        "cisco.ios.ios",
    ),
    Column(
        "vendor", False, "Vendor; empty: the platform's vendor (cisco, arista, juniper, huawei, h3c, ruijie).", "cisco"
    ),
    Column("site", False, "Site or location code; makes the group site_<value>. ASCII only.", "lon"),
    Column("role", False, "Device role (core, access, firewall...). ASCII only.", "core"),
    Column(
        "status",
        False,
        "online (default), maintenance or offline. The backup skips maintenance and offline devices.",
        "online",
    ),
    Column("port", False, "SSH port, 1-65535; empty: 22 (or your group_vars).", "22"),
    Column("model", False, "Hardware model, recorded with each run.", "C9300-48P"),
    Column(
        "credential",
        False,
        "Name of a credential set defined in group_vars / vault / AWX (becomes "
        "confvault_credential and the group credential_<name>). A name, never a secret.",
        "netops",
    ),
)
COLUMN_NAMES: Final[frozenset[str]] = frozenset(c.name for c in COLUMNS)
REQUIRED: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS if c.required)

DEFAULT_STATUSES: Final[tuple[str, ...]] = ("online", "maintenance", "offline")
DEFAULT_GROUP_BY: Final[tuple[str, ...]] = ("vendor", "platform", "site", "status", "credential")
# Columns whose values become group names: ASCII only, so that group names are what users typed.
GROUP_VALUE_COLUMNS: Final[frozenset[str]] = frozenset({"vendor", "site", "role", "status", "credential"})

# Other spellings of our headers seen in device lists (after normalize_header).
HEADER_ALIASES: Final[dict[str, str]] = {
    "host": "hostname",
    "host_name": "hostname",
    "device": "hostname",
    "device_name": "hostname",
    "ip": "address",
    "ip_address": "address",
    "mgmt_ip": "address",
    "management_ip": "address",
    "network_os": "platform",
    "os": "platform",
    "ssh_port": "port",
    "location": "site",
    "state": "status",
    "credential_ref": "credential",
}

# Host vars that a column must not set, and the column that sets them instead.
RESERVED: Final[dict[str, str]] = {
    "ansible_host": "use the 'address' column",
    "ansible_port": "use the 'port' column",
    "ansible_network_os": "use the 'platform' column",
    "ansible_connection": "the plugin sets it (network_cli); override it with 'compose' in the plugin config",
    "confvault_credential": "use the 'credential' column",
    "confvault_source": "the plugin sets it to the device's file, sheet and row",
}

# A header with one of these words is a secret: refused, whatever the cells hold.
_SECRET_WORDS: Final[frozenset[str]] = frozenset(
    {"pass", "password", "passwd", "pwd", "secret", "token", "passphrase", "community", "psk"}
)
_SECRET_PARTS: Final[tuple[str, ...]] = ("password", "passwd", "secret", "passphrase", "private_key", "api_key")


def normalize_header(text: str) -> str:
    """``"Mgmt IP"`` -> ``mgmt_ip``; then the alias, if any (``address``)."""
    name = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return HEADER_ALIASES.get(name, name)


def is_secret(name: str) -> bool:
    return any(part in name for part in _SECRET_PARTS) or bool(_SECRET_WORDS & set(name.split("_")))


def header_problem(name: str, raw: str) -> str | None:
    """Why a (normalized) header cannot be a column, or None."""
    bad = first_non_ascii(raw)
    if bad:
        return f"header {raw!r} has the non-ASCII character {bad}; headers become variable names: use ASCII"
    if is_secret(name):
        return (
            f"column {raw!r} looks like a password or secret: secrets never live in the sheet; keep them "
            "in vault or AWX credentials and name the credential set in a 'credential' column"
        )
    if name in RESERVED:
        return f"column {raw!r} is not allowed: {RESERVED[name]}"
    if not name.isidentifier() or keyword.iskeyword(name):
        return f"header {raw!r} is not a valid variable name ({name!r}); use letters, digits and '_'"
    return None


def first_non_ascii(text: str) -> str | None:
    """The first non-ASCII character of ``text``, described (``'ü' (U+00FC)``), or None."""
    for char in text:
        if ord(char) > 127:
            return f"{char!r} (U+{ord(char):04X})"
    return None
