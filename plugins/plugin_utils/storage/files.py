"""One way to replace a file: write a temp file beside it, then rename it over the old one,
so a reader (or a crash) sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile

FILE_MODE = 0o600


def replace_text(path: str, text: str, *, durable: bool) -> None:
    """Write ``text`` to ``path`` atomically, mode 0600; ``durable`` fsyncs before the rename
    (a backup must survive a power cut; a cache that can be rebuilt need not pay for it)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
