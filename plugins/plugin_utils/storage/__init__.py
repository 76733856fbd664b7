"""storage/: the backups on disk: one file per device in a git work tree (``git_store.py``),
written atomically and committed under ConfVault's lock on the repository, which also clears
the lock files a killed git left behind (``git_locks.py``)."""
