"""Import, before Ansible forks its workers, what every backup worker would import again.

Ansible forks one worker process per host and task; whatever the controller process has
already imported is shared with the workers for free (copy-on-write, kept clean by the
``gc.freeze()`` that follows). netmiko alone costs about 0.4 CPU-seconds to import, which
would otherwise be paid once per device. The recorder callback calls :func:`warm` at
play start.

The same holds for Jinja: ansible-core compiles every template from scratch, so the play's
per-host templates (the backup role's ``throttle`` and ``ansible_connection``) are compiled
here into ``ansible_compat.cache_template_compiles``'s cache, which the workers inherit.

The same holds for the ``re`` module's cache of compiled patterns: netmiko cleans every read
with some forty string patterns (``strip_ansi_escape_codes``, ``normalize_linefeeds``) that
each worker compiled afresh, about 5 ms of a device's CPU. Running them once here fills the
cache the workers inherit.

Library log records (paramiko's transport thread) are routed to Ansible's display here too,
before the fork, so that no worker prints them raw (:func:`quiet_library_loggers`).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils.platforms import PLATFORMS
from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat

# (plugin type, name) loaded through Ansible's plugin loaders, so that a worker's loader
# finds them already in sys.modules; then plain modules.
PLUGINS: tuple[tuple[str, str], ...] = (
    ("action", "confvault.network.backup"),
    ("connection", "confvault.network.netmiko"),
    ("connection", "ansible.netcommon.network_cli"),
    ("connection", "ansible.netcommon.libssh"),
    # A worker loads the become plugin of a host with ansible_become (network devices:
    # enable), by the name the inventory gives it.
    ("become", "enable"),
    ("become", "ansible.netcommon.enable"),
    ("become", "sudo"),
    *((kind, platform.network_os) for platform in PLATFORMS for kind in ("terminal", "cliconf")),
)
MODULES: tuple[str, ...] = (
    "netmiko",
    "paramiko",
)

_warmed = False


def warm(play: Any = None) -> list[str]:
    """Import the transports once, and compile ``play``'s per-host templates; return what
    could not be imported (never raises)."""
    global _warmed
    if play is not None and ansible_compat.cache_template_compiles():
        ansible_compat.warm_templates(getattr(play, "_loader", None), ansible_compat.play_templates(play))
    if _warmed:
        return []
    _warmed = True
    quiet_library_loggers()
    from ansible.plugins.loader import action_loader, become_loader, cliconf_loader, connection_loader, terminal_loader

    loaders = {
        "action": action_loader,
        "become": become_loader,
        "connection": connection_loader,
        "terminal": terminal_loader,
        "cliconf": cliconf_loader,
    }
    missing = []
    for kind, name in PLUGINS:
        try:
            if loaders[kind].get(name, class_only=True) is None:
                missing.append(name)
        except Exception:  # a broken optional plugin must not stop the run
            missing.append(name)
    for module in MODULES:
        try:
            importlib.import_module(module)
        except Exception:
            missing.append(module)
    _warm_netmiko_patterns()
    return missing


class DisplayLogHandler(logging.Handler):
    """Log records from libraries, shown by Ansible's display at -vvv (see
    :func:`quiet_library_loggers`)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from ansible.utils.display import Display

            Display().vvv(f"{record.name}: {record.getMessage()}")
        except Exception:  # noqa: BLE001 - a log line must never break a backup
            return


def quiet_library_loggers() -> None:
    """Send the warnings that libraries log to Ansible's display at ``-vvv`` instead of
    Python's last-resort handler, which prints them raw on a worker's stderr (ansible-core
    then warns that the worker "errantly sent data directly to stderr").

    The SSH libraries' background threads log a session's end: paramiko's transport thread
    "Socket exception: Connection reset by peer (104)" when a device drops the session,
    under a logger network_cli names per connection ("p=... u=... | paramiko [address]"),
    so the handler goes on the root logger. The device's result already says what happened
    (CONNECTION_LOST). Only when the root logger has no handler: one the user configured
    (logging set up by a plugin, a library) keeps getting every record as before.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(DisplayLogHandler())


class _Session:
    """Just what netmiko's text clean-up reads of a session."""

    RETURN = "\n"
    RESPONSE_RETURN = "\n"


def _warm_netmiko_patterns() -> None:
    """Compile netmiko's clean-up patterns into ``re``'s cache (see the module's text)."""
    try:
        from netmiko.base_connection import BaseConnection

        session: Any = _Session()
        sample = "a\x1b[K\x1b[2K\r\n\x1b[1L"
        BaseConnection.strip_ansi_escape_codes(session, sample)
        BaseConnection.normalize_linefeeds(session, sample)
    except Exception:  # netmiko absent or changed: the workers compile them, as before
        return
