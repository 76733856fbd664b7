"""A config a device gave before is not redacted again (issue 19).

Redacting a 2,000-line config costs about 10 ms, a tenth of a device's CPU, and in a
nightly run most devices answer what they answered last time (but for volatile lines such
as IOS's ``ntp clock-period``, which normalising removes). After a backup is stored,
ConfVault remembers, per device, in ``.git/confvault-state/prepared/<file>``: a keyed hash
of the normalised (not yet redacted) text, the SHA-256 of the redacted text it became and
its redaction count. The next time the device's answer normalises to the same text, and the
stored file still has that SHA-256, the stored text *is* what redaction would produce, so
it is used as it is. Normalising and judging the answer, and reading its author line, are
never skipped.

The key of the hash holds what redaction's result depends on besides the text: the source
of the modules that shape it (a new ConfVault release or a new redaction rule forgets every
memo) and the platform. The hash is an HMAC with a random key kept beside the memos
(``.git/confvault-state/memo.key``, mode 0600): the text holds the device's secrets, and a
plain hash of it next to the redacted file would let anyone who can read both confirm a
guessed password offline. Neither file is ever pushed (git does not push ``.git/``), stored
in the database or printed.

Every reader fails towards redacting: no memo, an unreadable one, another key, or a stored
file that is not the memo's text all mean "redact again".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from ansible_collections.confvault.network.plugins.plugin_utils.storage import files, git_fast
from ansible_collections.confvault.network.plugins.plugin_utils.storage.git_store import sha256_text

# The modules whose code decides what an answer becomes (pipeline.prepare and everything
# it calls): their source is part of every memo's key.
_MODULE_UTILS = Path(__file__).resolve().parents[2] / "module_utils"
PIPELINE_SOURCES: tuple[str, ...] = (
    "pipeline.py",
    "normalize.py",
    "validate.py",
    "redact.py",
    "redact_rules.py",
    "platforms.py",
    "errors.py",
)
KEY_FILE = "memo.key"
MEMO_DIR = "prepared"


def _code_version() -> str:
    digest = hashlib.sha256()
    for name in PIPELINE_SOURCES:
        try:
            digest.update(name.encode() + b"\0" + (_MODULE_UTILS / name).read_bytes() + b"\0")
        except OSError:
            digest.update(os.urandom(16))  # unknown code: no memo can match
    return digest.hexdigest()


# Read once, when the backup action is imported (in the controller, before the forks).
CODE_VERSION = _code_version()


@dataclass(frozen=True)
class Entry:
    key: str  # HMAC of the normalised text and its context
    sha256: str  # of the stored (redacted) text it became
    redactions: int


def _state_dir(repo: str) -> str:
    return git_fast.state_dir(os.path.join(repo, ".git"))


def _memo_path(repo: str, file_name: str) -> str:
    return os.path.join(_state_dir(repo), MEMO_DIR, file_name)


def secret(repo: str, create: bool = False) -> bytes | None:
    """The repository's memo key; made (once, race-free) when ``create`` is true."""
    path = os.path.join(_state_dir(repo), KEY_FILE)
    try:
        with open(path, "rb") as fh:
            key = fh.read()
        return key if len(key) == 32 else None
    except OSError:
        if not create:
            return None
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
        try:
            os.link(tmp, path)  # never replaces a key another worker made first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError:
        return None
    return secret(repo)


def text_key(key: bytes, normalised: str, network_os: str) -> str:
    """The keyed hash of one normalised text in its context (module text above)."""
    context = f"{CODE_VERSION}\0{network_os}\0"
    data = context.encode("utf-8") + normalised.encode("utf-8", "surrogatepass")
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def load(repo: str, file_name: str) -> Entry | None:
    try:
        with open(_memo_path(repo, file_name), encoding="utf-8") as fh:
            data = json.load(fh)
        entry = Entry(key=str(data["key"]), sha256=str(data["sha256"]), redactions=int(data["redactions"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return entry


def reuse(entry: Entry | None, key: str, stored: str | None, stored_sha256: str | None) -> bool:
    """Whether the stored text is what this answer would become: the memo is for this very
    answer (same keyed hash) and the stored file is still the memo's text."""
    return (
        entry is not None
        and stored is not None
        and stored_sha256 is not None
        and hmac.compare_digest(entry.key, key)
        and entry.sha256 == stored_sha256
    )


def save(repo: str, file_name: str, entry: Entry) -> None:
    """Remember an answer after its text was stored; a failure only costs the next run
    the full pipeline."""
    try:
        path = _memo_path(repo, file_name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        files.replace_text(path, json.dumps(asdict(entry)), durable=False)
    except OSError:
        return


class DeviceMemo:
    """One device's memo through one backup: ``recall`` inside the pipeline (``prepare``'s
    ``recall`` argument), then ``remember`` once the text is stored."""

    def __init__(self, repo: str, file_name: str, stored: str | None, network_os: str) -> None:
        self._where = (repo, file_name)
        self._network_os = network_os
        self._stored = stored
        self._key = secret(repo)
        self._entry = load(repo, file_name) if self._key is not None and stored is not None else None
        self._stored_sha256 = sha256_text(stored) if self._entry else None
        self._seen: str | None = None  # the last normalised text asked about

    def recall(self, normalised: str) -> tuple[str, int] | None:
        """The stored text and its redaction count when this normalised text is the one the
        stored file was made from (see the module's text); None: redact it."""
        self._seen = normalised
        if self._entry is None or self._key is None:
            return None
        key = text_key(self._key, normalised, self._network_os)
        if not reuse(self._entry, key, self._stored, self._stored_sha256):
            return None
        return self._stored or "", self._entry.redactions

    def remember(self, stored_sha256: str, redactions: int) -> None:
        """The last text asked about was redacted and stored with this SHA-256."""
        if self._seen is None:
            return
        key = self._key or secret(self._where[0], create=True)
        if key is None:
            return
        entry = Entry(text_key(key, self._seen, self._network_os), stored_sha256, redactions)
        if entry != self._entry:
            save(*self._where, entry)
