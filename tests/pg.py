"""A throwaway PostgreSQL server for tests: ``start_postgres(tmpdir) -> (url, stop)``.

Uses Debian's server binaries (/usr/lib/postgresql/<version>/bin, package `postgresql`,
which scripts/install-system-deps.sh installs). The cluster listens on 127.0.0.1 on a
free port with trust authentication, has fsync off, and is removed by ``stop()``.
PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user,
in a directory of its own under the system temp dir (pytest's tmp dirs are root-only).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_SCRIPT = ROOT / "scripts" / "install-system-deps.sh"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be installed or started here; the message says why."""


def _bindir() -> Path | None:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None
    newest = max(found, key=lambda p: int(Path(p).parent.parent.name.split(".")[0]))
    return Path(newest).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_installed() -> Path:
    bindir = _bindir()
    if bindir is None and os.geteuid() == 0 and INSTALL_SCRIPT.exists():
        done = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{INSTALL_SCRIPT.name} failed: {done.stderr.strip()[-500:]}")
        bindir = _bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
            "(install the Debian package `postgresql`: scripts/install-system-deps.sh as root)"
        )
    return bindir


def start_postgres(tmpdir: str | os.PathLike[str]) -> tuple[str, Callable[[], None]]:
    """Start a cluster; return its SQLAlchemy URL (database `postgres`) and a stop function."""
    bindir = _ensure_installed()
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and there is no `postgres` user") from exc
        base = Path(tempfile.mkdtemp(prefix="confvault-pg-"))
        os.chown(base, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    else:
        base = Path(tempfile.mkdtemp(prefix="pg-", dir=tmpdir))
        prefix = []
    data, sock, log = base / "data", base / "sock", base / "server.log"
    port = _free_port()

    def run(*args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            prefix + list(args), cwd=base, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()[-1500:]
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-1500:]
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {detail}")

    try:
        run("mkdir", "-m", "0700", str(sock))
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = (
            f"-k {sock} -c listen_addresses=127.0.0.1 -p {port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise

    def stop() -> None:
        try:
            for mode in ("fast", "immediate"):
                try:
                    run(
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        mode,
                        "-w",
                        "stop",
                        timeout=60,
                    )
                    break
                except (PostgresUnavailable, subprocess.TimeoutExpired):
                    continue
        finally:
            shutil.rmtree(base, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


def new_pg_database(server_url: str) -> str:
    """A fresh database on the server, so each test starts empty."""
    import uuid

    import sqlalchemy as sa

    name = "confvault_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
