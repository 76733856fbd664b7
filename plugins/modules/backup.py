# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module is implemented by its action plugin (plugins/action/backup.py), which runs
# in the Ansible worker on the controller; like ansible.builtin.template, this file holds
# its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: backup
short_description: Back up a network device's running configuration into git
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Fetches the running configuration over C(ansible.netcommon.network_cli) or
    C(confvault.network.netmiko) (the host's C(ansible_connection); the backup role sets it
    from C(confvault_transport)), removes the
    lines that change on every fetch (timestamps, clock drift, byte counts), refuses output
    that is empty, a refusal (the platform's refusal text on the first lines of the answer;
    text quoted inside a complete configuration is configuration) or truncated, redacts
    secrets, and writes
    C(<backup_dir>/<inventory_hostname>.cfg) atomically (mode 0600) only when the
    normalised configuration differs from the stored one. Every change is committed to the
    git repository in O(backup_dir), one commit per changed device.
  - A failed, empty or partial fetch never replaces the last good backup.
  - The configuration text never appears in the task result (only path, checksum, size).
  - With C(--diff) a changed configuration shows only its changed lines (a unified diff of
    the redacted configuration without context lines, at most 200 lines and 16 KiB, then a
    C(… N more lines not shown) note); a first backup shows no configuration text at all,
    only C(<path>) followed by C(new backup, N lines). The full change is in git.
  - Supported platforms (C(ansible_network_os)) are C(cisco.ios.ios), C(cisco.nxos.nxos),
    C(arista.eos.eos), C(junipernetworks.junos.junos) (CLI), C(confvault.network.vrp),
    C(confvault.network.comware) and C(confvault.network.rgos), written fully qualified
    (C(network_cli) loads its terminal and cliconf plugins by that name).
  - Both transports run inside the Ansible worker and close the device session as soon as
    the backup is done, and no C(ansible-connection) daemon is started (the action sets
    C(_requires_connection = False) and drives network_cli's own plugin object, with the
    options ansible-core would give it), so controller memory stays flat however many
    devices run. C(forks), C(throttle) and C(serial) control concurrency as usual.
  - An option not given in the task is taken from the backup role's variable that sets it
    (C(confvault_transport), C(confvault_backup_dir), C(confvault_redact),
    C(confvault_retries), C(confvault_retry_delay), C(confvault_device_timeout),
    C(confvault_min_size_ratio), C(confvault_max_config_bytes), C(confvault_skip_statuses)
    with C(confvault_include_maintenance)) and C(device_status) from the host's C(status),
    when the host has them; the role's own task passes no options at all (each would be a
    template compiled again in every Ansible worker).
options:
  transport:
    description:
      - The transport the task expects, checked against the host's connection.
        C(network_cli) is ansible.netcommon's network_cli (terminal and cliconf plugins, every
        C(ansible_network_cli_*) setting); C(netmiko) is C(confvault.network.netmiko).
      - Omitted, the host's C(ansible_connection) decides.
    type: str
    choices: [network_cli, netmiko]
  backup_dir:
    description:
      - Git work tree that holds one file per device. Created (and C(git init)ed) if missing.
      - Defaults to the environment variable E(CONFVAULT_BACKUP_DIR), else C(~/.confvault/backups).
    type: path
  redact:
    description:
      - Replace secrets (password hashes, SNMP communities, TACACS/RADIUS keys, pre-shared
        keys, Huawei/H3C cipher strings...) with C(<redacted>) before storing.
      - Turn off only when the backup repository is as protected as the devices themselves.
    type: bool
    default: true
  retries:
    description:
      - Extra attempts after a retryable failure (unreachable, timeouts, dropped connection,
        truncated output). Authentication failures are never retried, to avoid lock-outs.
    type: int
    default: 2
  retry_delay:
    description: Seconds before the first retry; doubles before each further one.
    type: float
    default: 5.0
  timeout:
    description:
      - Time limit in seconds for the whole device, all attempts included. No new attempt
        starts after it. Each command is also bounded by C(ansible_command_timeout).
      - A backup still running 60 seconds after this limit (blocked where no deadline of its
        own reaches) is stopped and fails with C(COMMAND_TIMEOUT); the last good backup is kept.
    type: int
    default: 300
  min_size_ratio:
    description:
      - A new configuration smaller than this share of the last good backup is treated as
        truncated (C(INCOMPLETE_CONFIG)) and not stored. C(0) disables the check.
    type: float
    default: 0.5
  max_config_bytes:
    description:
      - The largest answer accepted, in bytes (1 KiB to 1 GiB). Reading stops there and the
        device fails with C(CONFIG_TOO_LARGE), keeping its last good backup.
      - The role sets it from C(confvault_max_config_bytes).
    type: int
    default: 16777216
  command:
    description: Command that prints the configuration, instead of the platform's default.
    type: str
  commit_message:
    description: "Commit message for a changed configuration. Defaults to C(<host>: configuration changed)."
    type: str
  device_status:
    description:
      - The device's status from the inventory (C(online), C(offline), C(maintenance), ...).
    type: str
    default: online
  skip_statuses:
    description:
      - Statuses whose devices are skipped (result C(skipped) with C(skip_reason)) without connecting.
    type: list
    elements: str
    default: [maintenance, offline]
attributes:
  check_mode:
    support: full
    description: Fetches and compares, but writes and commits nothing.
  diff_mode:
    support: full
    description: >-
      Shows the changed lines between the stored and the new (redacted) configuration,
      without context lines and capped at 200 lines and 16 KiB; for a first backup only
      C(new backup, N lines), never the configuration itself.
notes:
  - Needs C(ansible_connection=ansible.netcommon.network_cli) and C(ansible_network_os).
  - On failure the result carries a stable C(error_code); the codes are listed in the README.
"""

EXAMPLES = r"""
- name: Back up every device into the default repository
  confvault.network.backup:

- name: Back up into a team repository, keeping secrets (repository is access-controlled)
  confvault.network.backup:
    backup_dir: /srv/netconfigs
    redact: false
    retries: 3
    retry_delay: 10
"""

RETURN = r"""
path:
  description: File that holds the device's configuration.
  returned: success
  type: str
  sample: /home/netops/.confvault/backups/core-sw-01.cfg
sha256:
  description: SHA-256 of the stored (normalised, redacted) configuration.
  returned: success
  type: str
size:
  description: Size of the stored configuration in bytes.
  returned: success
  type: int
lines:
  description: Number of lines in the stored configuration.
  returned: success
  type: int
commit:
  description: Git commit that holds this version of the file (null in check mode).
  returned: success
  type: str
platform:
  description: Platform (ansible_network_os, fully qualified) used for the device.
  returned: always
  type: str
duration:
  description: Seconds spent on the device, all attempts included.
  returned: always
  type: float
attempts:
  description: Number of attempts made.
  returned: always
  type: int
attempt_log:
  description: Each attempt with its start time, duration and error code.
  returned: always
  type: list
  elements: dict
redactions:
  description: Number of secrets replaced by C(<redacted>).
  returned: success
  type: int
author:
  description:
    - Who made the device's last config change, when the device says so in a header line the
      stored config drops (IOS C(! Last configuration change at ... by admin), Junos C(## Last commit));
      redacted. The recorder keeps it with the change record (docs/changes.md).
  returned: success
  type: str
  sample: admin
redacted:
  description: Whether secrets were redacted in the stored file (the recorder stores config text only then).
  returned: success
  type: bool
backup_dir:
  description: The git repository the file is in.
  returned: success
  type: str
transport:
  description: The transport that fetched the configuration.
  returned: success
  type: str
  sample: network_cli
ssh_type:
  description: network_cli's SSH library for this device (C(paramiko) unless configured otherwise).
  returned: success with the network_cli transport
  type: str
  sample: paramiko
error_code:
  description:
    - Stable error code on failure (C(AUTH_FAILED), C(UNREACHABLE), C(CONNECT_TIMEOUT),
      C(COMMAND_TIMEOUT), C(CONNECTION_LOST), C(PRIVILEGE_DENIED), C(COMMAND_REJECTED),
      C(INCOMPLETE_CONFIG), C(EMPTY_CONFIG), C(UNSUPPORTED_PLATFORM), C(STORAGE_ERROR), C(BAD_INPUT)); null on success.
  returned: always
  type: str
skip_reason:
  description: Why the device was skipped.
  returned: when skipped
  type: str
  sample: status is maintenance
error_message:
  description: What went wrong, naming the device's problem.
  returned: failure
  type: str
diff:
  description:
    - With C(--diff), for a changed configuration, the text Ansible prints (key C(prepared))
      with the changed lines only (capped), or C(new backup, N lines) for a first backup.
      Never C(before)/C(after) copies of the configuration.
  returned: changed, in diff mode
  type: dict
  sample:
    prepared: "/srv/netconfigs/sw01.cfg: new backup, 412 lines (not shown)\n"
"""
