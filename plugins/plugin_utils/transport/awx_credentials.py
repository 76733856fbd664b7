"""AWX's "Network" credential type, for connections that do not read it themselves.

AWX injects a network credential as environment variables (ANSIBLE_NET_USERNAME,
ANSIBLE_NET_PASSWORD, ANSIBLE_NET_SSH_KEYFILE, ANSIBLE_NET_AUTHORIZE, ANSIBLE_NET_AUTH_PASS),
which only the old ``provider`` modules read. ``confvault.network.netmiko`` declares them as
its options' ``env`` sources; for ``network_cli`` the backup action fills the gaps with
:func:`fill_gaps`: inventory variables and -u/-k always win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class Gaps:
    """What the device's connection already has."""

    user: bool
    password: bool
    key: bool
    become: bool
    become_password: bool


def fill_gaps(env: Mapping[str, str], have: Gaps) -> dict[str, object]:
    """Connection options to set from an AWX network credential: only those still missing."""
    out: dict[str, object] = {}
    if not have.user and env.get("ANSIBLE_NET_USERNAME"):
        out["remote_user"] = env["ANSIBLE_NET_USERNAME"]
    if not have.password and not have.key:
        if env.get("ANSIBLE_NET_PASSWORD"):
            out["password"] = env["ANSIBLE_NET_PASSWORD"]
        elif env.get("ANSIBLE_NET_SSH_KEYFILE"):
            out["private_key_file"] = env["ANSIBLE_NET_SSH_KEYFILE"]
    if not have.become and env.get("ANSIBLE_NET_AUTHORIZE", "").strip().lower() in TRUE:
        out["become"] = True
    if not have.become_password and env.get("ANSIBLE_NET_AUTH_PASS"):
        out["become_pass"] = env["ANSIBLE_NET_AUTH_PASS"]
    return out
