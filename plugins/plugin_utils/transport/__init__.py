"""transport/: how ConfVault reaches a device and reads one command's answer as data.

One seam (``base.Transport``: ``open``, ``fetch(command, deadline) -> bytes``, ``close``,
raising ``base.TransportError`` with a stable code) and its two implementations:
``network_cli.py`` (ansible.netcommon's network_cli logs in, sets the terminal up and
enters enable; the config answer is read by ``reader.py``, never scanned by network_cli's
error regexes) and ``netmiko_session.py`` (netmiko logs in; the same reader reads). Also
here: the SIGALRM ``deadline``, the AWX network credential rule (``awx_credentials``), the
terminal/cliconf base classes of the platforms Ansible lacks (``cli_platform``) and the
imports done before Ansible forks (``preload``).
"""
