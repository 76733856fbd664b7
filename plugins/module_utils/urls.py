"""Git remotes in messages and on git's command line: credentials masked, options refused.

A remote such as ``https://user:TOKEN@git.example.com/netconfigs.git`` carries a secret in
its user-info. :func:`mask_url` replaces the user-info of every URL in a text (ConfVault's
own messages, git's stderr) with ``***``; every message or result that can hold the remote
goes through it. :func:`remote_problem` says what is wrong with a remote before git sees it:
a value starting with ``-`` would be an option to git (``--receive-pack=<command>`` runs a
command), and a ``<transport>::<address>`` or unknown ``<scheme>://`` remote would start a
remote helper. Pure functions, no Ansible, no git.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
VARIABLE = "confvault_git_remote"
URL_SCHEMES = ("ssh", "https", "http", "git", "file")
# scheme://user-info@ (up to the last @ before the path): the user-info is the secret.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# scp-like [user@]host:path (git takes it so when no "/" comes before the first ":")
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9_.-]+|\[[0-9A-Za-z:.%]+\]):(?P<path>\S*)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"^[A-Za-z0-9_.:%-]+$")  # urlsplit's hostname: brackets of an IPv6 address gone
MIN_SECRET = 4  # shorter "secrets" are not searched for in free text (they would garble it)


def url_secrets(remote: str) -> tuple[str, ...]:
    """The secret parts of a remote URL's user-info: the password, or the whole user-info
    when it has no password (a token given as the user name), raw and percent-decoded."""
    match = _SCHEME.match(remote)
    if not match:
        return ()
    netloc = remote[match.end() :].split("/", 1)[0]
    if "@" not in netloc:
        return ()
    userinfo = netloc.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    secret = password if colon else user
    found = {s for s in (secret, unquote(secret), userinfo, unquote(userinfo)) if len(s) >= MIN_SECRET}
    return tuple(sorted(found, key=len, reverse=True))  # longest first: no half-masked secret


def mask_url(text: str, remote: str | None = None) -> str:
    """``text`` with the user-info of every URL in it replaced by ``***``
    (``https://***@host/repo.git``); with ``remote``, also any bare occurrence of that
    remote's password or token (a tool that quotes it outside its URL)."""
    if not text:
        return text
    masked = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    for secret in url_secrets(remote) if remote else ():
        masked = masked.replace(secret, MASK)
    return masked


def remote_kind(remote: str) -> str:
    """``name``, ``url``, ``scp`` or ``path``; raises ValueError naming the problem
    (the remote masked) when git must not be given ``remote``."""
    shown = repr(mask_url(remote))
    usage = (
        f"{VARIABLE} must be a remote name configured in the backup repository (letters, digits, . _ -), "
        f"an {', '.join(s + '://' for s in URL_SCHEMES)} URL, an scp-like user@host:path or an absolute path"
    )
    if not remote or not remote.strip():
        raise ValueError(f"{VARIABLE} is empty: {usage}")
    if remote.startswith("-"):
        raise ValueError(f"{VARIABLE} {shown} starts with '-', which git would take for an option: {usage}")
    if _CONTROL.search(remote):
        raise ValueError(f"{VARIABLE} {shown} has a control character (newline, tab...): {usage}")
    if _NAME.match(remote):
        return "name"
    scheme = _SCHEME.match(remote)
    if scheme:
        if scheme.group(1).lower() not in URL_SCHEMES:
            raise ValueError(f"{VARIABLE} {shown}: URL scheme {scheme.group(1)!r} is not allowed: {usage}")
        if re.search(r"\s", remote):
            raise ValueError(f"{VARIABLE} {shown}: a URL has no spaces (write them %20): {usage}")
        try:
            parts = urlsplit(remote)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError(f"{VARIABLE} {shown} is not a valid URL: {usage}") from None
        if scheme.group(1).lower() == "file":
            if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
                raise ValueError(f"{VARIABLE} {shown}: a file:// URL is file:///absolute/path: {usage}")
            return "url"
        host, user = parts.hostname or "", parts.username or ""
        if not _HOST.match(host) or host.startswith("-") or user.startswith("-"):
            raise ValueError(
                f"{VARIABLE} {shown}: the URL's host is missing, or its host or user is not a name: {usage}"
            )
        return "url"
    if remote.startswith("/"):
        return "path"
    scp = _SCP.match(remote)
    if scp and not scp.group("host").startswith("-") and not (scp.group("user") or "").startswith("-"):
        if scp.group("path").startswith(":"):  # <transport>::<address>: a remote helper
            raise ValueError(f"{VARIABLE} {shown}: '<transport>::<address>' remotes are not allowed: {usage}")
        return "scp"
    raise ValueError(f"{VARIABLE} {shown} is not a remote git can be given safely: {usage}")
