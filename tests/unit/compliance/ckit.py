"""Shared helpers for the compliance unit tests: a fixture config of a platform, redacted as
stored, and rules built from inline YAML (the loader's path, minus the file)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
from ansible_collections.confvault.network.plugins.module_utils import compliance_rules as cr
from ansible_collections.confvault.network.plugins.module_utils.redact import redact

CONFIGS = Path(__file__).resolve().parents[2] / "fixtures" / "configs"
PLATFORMS = ("ios", "nxos", "eos", "junos", "vrp", "comware", "rgos")


def stored(platform: str) -> str:
    """The platform's fixture config as the backup stores it: redacted."""
    return redact((CONFIGS / f"{platform}.cfg").read_text(), platform)[0]


def rules(text: str, file: str = "test.yml") -> cr.RuleSet:
    built, waivers = cr.build_rules(yaml.safe_load(text), file, "f" * 16)
    return cr.rule_set([(file, built, waivers)])


def one_check(platform: str, check: dict, config: str | None = None) -> cc.Result:
    doc = {"rules": [{"id": "r", "title": "t", "severity": "low", "checks": [check]}]}
    rule = cr.build_rules(doc, "inline.yml", "0" * 16)[0][0]
    return cc.evaluate(rule, cc.read(platform, stored(platform) if config is None else config))
