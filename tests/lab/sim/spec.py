"""The lab spec: a JSON list of simulated hosts and their fault settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """The spec file is malformed; the message names the host and the key."""


@dataclass(frozen=True)
class LabOptions:
    """Per-host fault injection and content knobs (the ``lab`` dict of a host)."""

    latency: float = 0.0
    auth_fail: bool = False
    drop_after_bytes: int = 0
    hang: bool = False
    truncate: bool = False
    error_text: bool = False
    empty: bool = False
    banner: str = ""
    motd: str = ""
    password_expiry: bool = False
    config_kb: int = 0
    config_file: str = ""
    # The config command is answered with exactly this text (a final newline added if
    # missing), then the prompt: a device refusing it ("Command authorization failed.").
    refuse: str = ""


@dataclass(frozen=True)
class HostSpec:
    name: str
    port: int
    platform: str
    username: str = "admin"
    password: str = "admin"
    enable_password: str = ""
    lab: LabOptions = field(default_factory=LabOptions)


_HOST_KEYS = {f.name for f in fields(HostSpec)}
_LAB_TYPES: dict[str, type] = {
    "latency": float,
    "auth_fail": bool,
    "drop_after_bytes": int,
    "hang": bool,
    "truncate": bool,
    "error_text": bool,
    "empty": bool,
    "banner": str,
    "motd": str,
    "password_expiry": bool,
    "config_kb": int,
    "config_file": str,
    "refuse": str,
}


def _lab_options(host: str, raw: Any) -> LabOptions:
    if raw is None:
        return LabOptions()
    if not isinstance(raw, dict):
        raise SpecError(f"{host}: 'lab' must be an object")
    unknown = sorted(set(raw) - set(_LAB_TYPES))
    if unknown:
        raise SpecError(f"{host}: unknown lab key(s) {unknown}; known: {sorted(_LAB_TYPES)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        want = _LAB_TYPES[key]
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            raise SpecError(f"{host}: lab.{key} must be {want.__name__}, got {value!r}")
        if isinstance(value, (int, float)) and value < 0:
            raise SpecError(f"{host}: lab.{key} must be >= 0")
        values[key] = value
    return LabOptions(**values)


def _host(raw: Any, index: int, platforms: Mapping[str, str]) -> HostSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"host #{index}: must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"host #{index}: 'name' is required")
    unknown = sorted(set(raw) - _HOST_KEYS)
    if unknown:
        raise SpecError(f"{name}: unknown key(s) {unknown}; known: {sorted(_HOST_KEYS)}")
    port = raw.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise SpecError(f"{name}: 'port' must be an integer 1-65535")
    platform = raw.get("platform")
    if not isinstance(platform, str) or platform not in platforms:
        raise SpecError(f"{name}: unknown platform {platform!r}; supported: {sorted(platforms)}")
    platform = platforms[platform]
    creds = {}
    for key in ("username", "password", "enable_password"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise SpecError(f"{name}: {key!r} must be a string")
            creds[key] = raw[key]
    return HostSpec(name=name, port=port, platform=platform, lab=_lab_options(name, raw.get("lab")), **creds)


def parse_spec(data: Any, platforms: Mapping[str, str]) -> list[HostSpec]:
    """Validate decoded JSON; unknown keys are errors so typos never pass silently.

    ``platforms`` maps every accepted platform name to its canonical one.
    """
    if not isinstance(data, list):
        raise SpecError("spec must be a JSON list of host objects")
    hosts = [_host(raw, i, platforms) for i, raw in enumerate(data)]
    seen: dict[int, str] = {}
    for host in hosts:
        if host.port in seen:
            raise SpecError(f"{host.name}: port {host.port} already used by {seen[host.port]}")
        seen[host.port] = host.name
    return hosts


def load_spec(path: Path, platforms: Mapping[str, str]) -> list[HostSpec]:
    """Read and validate a spec file; a relative lab.config_file is relative to it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"cannot read spec {path}: {exc}") from exc
    hosts = parse_spec(data, platforms)
    base = path.resolve().parent
    return [
        replace(h, lab=replace(h.lab, config_file=str(base / h.lab.config_file)))
        if h.lab.config_file and not Path(h.lab.config_file).is_absolute()
        else h
        for h in hosts
    ]
