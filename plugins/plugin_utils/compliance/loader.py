"""Compliance rules from disk: every ``*.yml``/``*.yaml`` under the directory the user chose
(their own git repository of rules), or one file, or ``starter`` for the rules this
collection ships (compliance/starter/, one file per platform).

plugin_utils/compliance/ holds the controller side of compliance: ``loader.py`` (this),
``store.py`` (results in the history database) and ``runner.py`` (check a device as its
new version is recorded, or every device's current config on demand). The rules and checks
themselves are pure: module_utils/compliance_rules.py and compliance_checks.py.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import yaml

from ansible_collections.confvault.network.plugins.module_utils.compliance_rules import (
    RuleError,
    RuleSet,
    build_rules,
    rule_set,
)

STARTER = Path(__file__).resolve().parents[3] / "compliance" / "starter"
MAX_FILE_BYTES = 1_000_000  # a rules file is hand-written YAML; bigger is a mistake
MAX_FILES = 1000
SUFFIXES = (".yml", ".yaml")


def rules_path(value: str) -> Path:
    """The directory or file a setting names (``starter``: the shipped rules)."""
    if value.strip() == "starter":
        return STARTER
    return Path(os.path.expanduser(value.strip()))


def rule_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise RuleError(str(root), None, None, "no such rules directory or file")
    files = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in SUFFIXES and p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if len(files) > MAX_FILES:
        raise RuleError(str(root), None, None, f"more than {MAX_FILES} rules files")
    return files


def load(value: str) -> RuleSet:
    """Every rule and waiver under the path; raises RuleError naming file, rule and field."""
    root = rules_path(value)
    parts = []
    for path in rule_files(root):
        shown = str(path.relative_to(root)) if path != root else path.name
        data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise RuleError(shown, None, None, f"larger than {MAX_FILE_BYTES} bytes")
        try:
            doc = yaml.safe_load(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise RuleError(shown, None, None, "not UTF-8 text") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise RuleError(
                shown, None, None, f"{where}not valid YAML ({getattr(exc, 'problem', '') or exc})"
            ) from None
        rules, waivers = build_rules(doc, shown, hashlib.sha256(data).hexdigest()[:16])
        parts.append((shown, rules, waivers))
    return rule_set(parts)
