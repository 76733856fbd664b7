"""Knowing that an unchanged backup is already committed, without running git (issue 19).

An unchanged device used to cost three git processes: ``git config user.email``,
``git status --porcelain -- <file>`` (the recovery check: a run that died between write and
commit) and ``git log -1 -- <file>`` (its last commit), the last one walking the history
back to that commit: O(devices) per device, O(N²) per run. Instead, under the repository
lock, ConfVault remembers what it last saw committed for each file, in
``.git/confvault-state/``:

- ``tip``: ``<token> <commit>``: HEAD as ConfVault left it. ConfVault's commits name their
  one file (``git commit -- <file>``), so they leave every other file's committed blob
  alone; when HEAD is anything else (a commit, reset, merge or pull that was not ConfVault's
  store), the token is replaced, which forgets every file's record at once.
- ``files/<file>``: ``<token> <blob> <commit>``: the file's git blob id and its last commit,
  written after ``git status`` found it clean (or after committing it).

An unchanged config is known committed when, under the lock: the file's text equals the new
text, its blob id equals the record's, the record's token is the tip's, HEAD is the tip,
and the index holds that same blob for the file (stage 0). Anything else (no record, a
foreign HEAD, a file staged or edited by hand, an index this reader does not know: split,
v4, SHA-256) takes the old path with git, which then refreshes the record. Every reader
here fails towards that path; a record is only a hint git would give the same answer to.
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid

from ansible_collections.confvault.network.plugins.plugin_utils.storage import files

STATE = "confvault-state"
_SHA1_HEX = 40


def blob_id(data: bytes) -> str:
    """git's SHA-1 object id of a blob with these bytes (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None


def read_head(git_dir: str) -> str | None:
    """The commit HEAD names (a symbolic ref through loose refs or packed-refs), or None when
    this cannot tell (unborn branch, reftable, anything unusual)."""
    head = _read(os.path.join(git_dir, "HEAD"))
    if head is None:
        return None
    head = head.strip()
    if not head.startswith("ref: "):
        return head if len(head) == _SHA1_HEX else None
    ref = head[5:].strip()
    if not ref.startswith("refs/") or ".." in ref:
        return None
    loose = _read(os.path.join(git_dir, *ref.split("/")))
    if loose is not None:
        loose = loose.strip()
        return loose if len(loose) == _SHA1_HEX else None
    packed = _read(os.path.join(git_dir, "packed-refs"))
    for line in (packed or "").splitlines():
        parts = line.split(" ")
        if len(parts) == 2 and parts[1] == ref and len(parts[0]) == _SHA1_HEX:
            return parts[0]
    return None


def index_blob(git_dir: str, name: str) -> str | None:
    """The blob id the index (v2 or v3, SHA-1) holds for top-level file ``name`` at stage 0."""
    try:
        with open(os.path.join(git_dir, "index"), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if len(data) < 12 or data[:4] != b"DIRC" or struct.unpack(">I", data[4:8])[0] not in (2, 3):
        return None
    key = name.encode() + b"\0"  # a path ends in 1-8 NULs (the entry's padding to 8 bytes)
    wanted = len(key) - 1
    pos = data.find(key, 12)
    # The path follows the 2-byte flags (v2, or v3 without the extended bit) or 4 bytes of
    # flags + extended flags; entries start at 12 + a multiple of 8, and the flags' 12-bit
    # length field must be the name's length: a longer path merely ending in ``name`` fails.
    while pos != -1:
        for fixed in (62, 64):
            entry = pos - fixed
            if entry < 12 or (entry - 12) % 8:
                continue
            (flags,) = struct.unpack(">H", data[entry + 60 : entry + 62])
            extended = bool(flags & 0x4000)
            if (fixed == 64) != extended or flags & 0x0FFF != min(wanted, 0xFFF) or flags & 0x3000:
                continue
            return data[entry + 40 : entry + 60].hex()
        pos = data.find(key, pos + 1)
    return None


def state_dir(git_dir: str) -> str:
    """``.git/confvault-state``: ConfVault's own records beside a repository (never pushed)."""
    return os.path.join(git_dir, STATE)


def _tip(git_dir: str) -> tuple[str, str] | None:
    text = _read(os.path.join(state_dir(git_dir), "tip"))
    parts = (text or "").split()
    return (parts[0], parts[1]) if len(parts) == 2 else None


def committed(repo: str, name: str, data: bytes) -> str | None:
    """The last commit of ``name`` when its text ``data`` (equal to the work tree file) is
    known committed and staged as is; None means: ask git. Call under the repository lock."""
    git_dir = os.path.join(repo, ".git")
    tip = _tip(git_dir)
    if tip is None:
        return None
    record = (_read(os.path.join(state_dir(git_dir), "files", name)) or "").split()
    if len(record) != 3 or record[0] != tip[0]:
        return None
    blob = blob_id(data)
    if record[1] != blob or read_head(git_dir) != tip[1] or index_blob(git_dir, name) != blob:
        return None
    return record[2]


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    files.replace_text(path, text, durable=False)  # a record git can always rebuild


def head_before(repo: str) -> str | None:
    """HEAD now, to hand to :func:`remember` after a commit of ConfVault's."""
    return read_head(os.path.join(repo, ".git"))


def remember(repo: str, name: str, data: bytes, commit: str | None, before: str | None) -> None:
    """Record that ``name`` holds ``data`` committed in ``commit``, clean in the work tree and
    index (git just said so, or just committed it). ``before``: HEAD before ConfVault's own
    commit of ``name`` (None when there was no commit). Call under the repository lock.
    Never raises: without a record the next run asks git."""
    git_dir = os.path.join(repo, ".git")
    try:
        head = read_head(git_dir)
        if not commit or head is None:
            return
        tip = _tip(git_dir)
        # the token goes on only while HEAD moved by ConfVault's own one-file commits
        expected = before if before is not None else head
        token = tip[0] if tip is not None and tip[1] == expected else uuid.uuid4().hex
        if tip != (token, head):
            _write(os.path.join(state_dir(git_dir), "tip"), f"{token} {head}\n")
        _write(os.path.join(state_dir(git_dir), "files", name), f"{token} {blob_id(data)} {commit}\n")
    except OSError:
        return
