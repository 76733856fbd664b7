"""The mirror as a long-lived service: a cycle every ``interval`` seconds, forever.

    .venv/bin/python reporting/mirror/service.py [--interval 2] [--once] POSTGRESQL_URL FILE

``scripts/serve-reporting.sh postgresql://...`` runs it in the panel's process (a thread);
contrib/systemd/confvault-panel.service and contrib/container/Containerfile run that.
PostgreSQL going away (a restart, a failover) is waited out, retrying with a backoff up to
a minute; the mirror restarting resumes from the watermark in FILE (cycle.py). The
password is never printed: put it in PGPASSWORD or ~/.pgpass rather than in the URL.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_COLLECTIONS = ROOT.parents[2] if ROOT.parents[1].name == "ansible_collections" else (ROOT / ".collections")
for _path in (str(_COLLECTIONS), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from reporting.mirror import cycle  # noqa: E402
from reporting.mirror import source as src  # noqa: E402
from reporting.mirror.target import Mirror, TargetError  # noqa: E402

MAX_BACKOFF = 60.0


def log(message: str) -> None:
    print(f"confvault-mirror: {message}", file=sys.stderr, flush=True)


class Service:
    """Cycles from ``url`` into ``path`` until ``stop`` is set."""

    def __init__(self, url: str, path: Path, interval: float = 2.0, say: Callable[[str], None] = log) -> None:
        self.url, self.path, self.interval, self.say = url, Path(path).expanduser(), interval, say
        self.name = src.redacted(url)
        self.stop = threading.Event()
        self.last: cycle.CycleStats | None = None
        self._pg: Any = None
        self._mirror = Mirror(self.path)

    def once(self) -> cycle.CycleStats:
        if self._pg is None:
            self._pg = src.connect(self.url)
        self.last = cycle.run_cycle(self._pg, self._mirror, self.name)
        return self.last

    def _drop_connection(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except src.Errors:
                pass
            self._pg = None

    def run(self) -> None:
        backoff = self.interval
        failing = False
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                stats = self.once()
            except src.Errors as exc:
                self._drop_connection()
                if not failing:
                    self.say(f"PostgreSQL {self.name} unavailable ({str(exc).strip()[:200]}); retrying")
                failing, backoff = True, min(backoff * 2, MAX_BACKOFF)
                self.stop.wait(backoff)
                continue
            except Exception as exc:  # noqa: BLE001 - not migrated yet, disk full...: a service keeps trying
                self._drop_connection()
                if not failing:
                    self.say(f"{exc}; retrying")
                failing, backoff = True, min(backoff * 2, MAX_BACKOFF)
                self.stop.wait(backoff)
                continue
            if failing:
                self.say(f"PostgreSQL {self.name} is back; resumed from the watermark")
            failing, backoff = False, self.interval
            if stats.first_copy:
                self.say(f"first copy: {stats.rows_read} rows in {stats.seconds:.1f} s")
            self.stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def close(self) -> None:
        self.stop.set()
        self._drop_connection()
        self._mirror.close()


def start_background(url: str, path: Path, interval: float = 2.0, say: Callable[[str], None] = log) -> Service:
    """The first copy now (so the panel opens on real figures), then a daemon thread that
    keeps the copy current; returns the service (``.stop.set()`` ends the thread)."""
    service = Service(url, path, interval, say)
    stats = service.once()
    say(f"mirror of {service.name} in {service.path}: {stats.rows_read} rows read in {stats.seconds:.1f} s")
    thread = threading.Thread(target=service.run, name="confvault-mirror", daemon=True)
    thread.start()
    return service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep a SQLite copy of a ConfVault PostgreSQL history current.")
    parser.add_argument("url", help="SQLAlchemy URL of the PostgreSQL history (postgresql://user@host/db)")
    parser.add_argument("file", type=Path, help="the SQLite mirror (created if missing)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between cycles (default %(default)s)")
    parser.add_argument("--once", action="store_true", help="one cycle, print its cost as JSON, exit")
    args = parser.parse_args(argv)
    try:
        service = Service(args.url, args.file, args.interval)
    except (TargetError, src.SourceError) as exc:
        parser.error(str(exc))
    try:
        if args.once:
            print(json.dumps(service.once().as_dict(), sort_keys=True))
            return 0
        signal.signal(signal.SIGTERM, lambda *_args: service.stop.set())
        log(f"mirroring {service.name} into {service.path} every {args.interval:g} s")
        service.run()
    except (TargetError, src.SourceError) as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
