# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: netmiko
short_description: CLI session to a network device through netmiko, inside the Ansible worker
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - The cheap transport of M(confvault.network.backup) (C(confvault_transport=netmiko)).
    It reads the same C(ansible_*) variables as C(ansible.netcommon.network_cli), but opens
    the SSH session in the Ansible worker itself with netmiko, so no C(ansible-connection)
    daemon is started per host and nothing is left running after the task.
  - The recorder callback imports netmiko before Ansible forks its workers, so a worker
    pays only for its own SSH session.
  - Credentials come from inventory variables first, then C(-u)/C(-k) (AWX machine
    credentials), then the environment variables of an AWX network credential
    (C(ANSIBLE_NET_USERNAME), C(ANSIBLE_NET_PASSWORD), C(ANSIBLE_NET_SSH_KEYFILE),
    C(ANSIBLE_NET_AUTHORIZE), C(ANSIBLE_NET_AUTH_PASS)).
  - Only M(confvault.network.backup) uses it; other modules need C(network_cli).
requirements:
  - netmiko (pinned in the collection's requirements.txt)
options:
  host:
    description: Address of the device.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  port:
    description: SSH port of the device.
    type: int
    default: 22
    ini:
      - section: defaults
        key: remote_port
    env:
      - name: ANSIBLE_REMOTE_PORT
    vars:
      - name: ansible_port
  network_os:
    description: The device's platform, as for network_cli (for example C(cisco.ios.ios)).
    type: str
    vars:
      - name: ansible_network_os
  remote_user:
    description: Username for the SSH login.
    type: str
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_NET_USERNAME
    vars:
      - name: ansible_user
  password:
    description: Password for the SSH login (use vault or an AWX credential).
    type: str
    env:
      - name: ANSIBLE_NET_PASSWORD
    vars:
      - name: ansible_password
      - name: ansible_ssh_pass
      - name: ansible_ssh_password
  private_key_file:
    description: Private key for the SSH login.
    type: path
    ini:
      - section: defaults
        key: private_key_file
    env:
      - name: ANSIBLE_NET_SSH_KEYFILE
      - name: ANSIBLE_PRIVATE_KEY_FILE
    vars:
      - name: ansible_private_key_file
      - name: ansible_ssh_private_key_file
  become:
    description: Enter privileged (enable) mode after login.
    type: bool
    default: false
    env:
      - name: ANSIBLE_NET_AUTHORIZE
    vars:
      - name: ansible_become
  become_password:
    description: The enable password.
    type: str
    env:
      - name: ANSIBLE_NET_AUTH_PASS
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_enable_pass
  host_key_checking:
    description: Refuse devices whose host key is unknown (read from C(~/.ssh/known_hosts)).
    type: bool
    default: true
    env:
      - name: ANSIBLE_HOST_KEY_CHECKING
    ini:
      - section: defaults
        key: host_key_checking
      - section: persistent_connection
        key: host_key_checking
    vars:
      - name: ansible_host_key_checking
  connect_timeout:
    description: Seconds allowed for the TCP connection, the SSH banner and the login.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
    vars:
      - name: ansible_connect_timeout
  command_timeout:
    description: Seconds allowed for the device to finish answering one command.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: command_timeout
    env:
      - name: ANSIBLE_PERSISTENT_COMMAND_TIMEOUT
    vars:
      - name: ansible_command_timeout
"""

EXAMPLES = r"""
# inventory group_vars: every device, backed up through netmiko
# ansible_connection: confvault.network.netmiko
# or, for the backup role only:
# ansible-playbook confvault.network.backup -e confvault_transport=netmiko
"""

import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from ansible.errors import AnsibleConnectionFailure, AnsibleError  # noqa: E402
from ansible.plugins.connection import ConnectionBase  # noqa: E402

from ansible_collections.confvault.network.plugins.module_utils.platforms import resolve  # noqa: E402
from ansible_collections.confvault.network.plugins.module_utils.validate import DEFAULT_MAX_CONFIG_BYTES  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.transport import netmiko_session  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.transport.awx_credentials import Gaps, fill_gaps  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import TransportError  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.transport.deadline import DeadlineExceeded, limit  # noqa: E402


class Connection(ConnectionBase):
    """Glue: Ansible options in, a netmiko session out (see plugin_utils/transport/netmiko_session.py)."""

    transport = "confvault.network.netmiko"
    has_pipelining = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: Any = None

    def session_params(self) -> netmiko_session.SessionParams:
        platform = resolve(self.get_option("network_os"))
        user, user_origin = self.get_option_and_origin("remote_user")
        become, become_origin = self.get_option_and_origin("become")
        # Password, key and enable password read the AWX network credential through their
        # options' env entries. Username and enable need the shared rule (fill_gaps): -u
        # (AWX passes -u root without a machine credential) and the task's own `become`
        # keyword outrank environment variables in Ansible's option order, yet only host
        # variables should win over the credential.
        awx = fill_gaps(
            os.environ,
            Gaps(
                user=bool(user) and _from_vars(user_origin),
                password=True,
                key=True,
                become=bool(become) or _from_vars(become_origin),
                become_password=True,
            ),
        )
        return netmiko_session.SessionParams(
            device_type=platform.netmiko,
            host=str(self.get_option("host") or self._play_context.remote_addr),
            port=int(self.get_option("port") or 22),
            username=str(awx.get("remote_user") or user or self._play_context.remote_user or ""),
            password=self.get_option("password") or self._play_context.password or None,
            secret=self.get_option("become_password") or self._play_context.become_pass or None,
            become=bool(awx.get("become", become)),
            key_file=self.get_option("private_key_file") or None,
            host_key_checking=bool(self.get_option("host_key_checking")),
            connect_timeout=float(self.get_option("connect_timeout")),
            command_timeout=float(self.get_option("command_timeout")),
        )

    def _connect(self) -> Connection:
        self.login(time.monotonic() + float(self.get_option("connect_timeout")))
        return self

    def login(self, deadline: float) -> None:
        """Log in once (raises TransportError); bounded by connect_timeout and ``deadline``."""
        if self._session is not None:
            return
        params = self.session_params()
        # netmiko applies its timeouts one by one (TCP, banner, authentication, then reads
        # while preparing the session): bound the whole login by connect_timeout.
        seconds = min(params.connect_timeout, deadline - time.monotonic())
        try:
            with limit(seconds, f"no login within {seconds:.0f} s (connect timeout)"):
                self._session = netmiko_session.open_session(params)
        except DeadlineExceeded as exc:
            raise TransportError("CONNECT_TIMEOUT", str(exc)) from None
        self._connected = True

    @property
    def session(self) -> Any:
        return self._session

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        transport = netmiko_session.NetmikoTransport(self, DEFAULT_MAX_CONFIG_BYTES)
        try:
            out = transport.fetch(cmd, time.monotonic() + float(self.get_option("command_timeout")))
        except TransportError as exc:
            raise AnsibleConnectionFailure(f"[{exc.code}] {exc}") from None
        return 0, out, b""

    def put_file(self, in_path: str, out_path: str) -> None:
        raise AnsibleError("confvault.network.netmiko does not transfer files")

    def fetch_file(self, in_path: str, out_path: str) -> None:
        raise AnsibleError("confvault.network.netmiko does not transfer files")

    def close(self) -> None:
        if self._session is not None:
            netmiko_session.close(self._session)
        self._session = None
        self._connected = False


def _from_vars(origin: object) -> bool:
    """Whether an option's value came from a host variable (Ansible says "var: <name>")."""
    return str(origin).startswith("var")
