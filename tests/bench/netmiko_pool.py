"""The floor of the backup benchmark: plain netmiko in a thread pool, no Ansible.

    python tests/bench/netmiko_pool.py --devices devices.json --out DIR [--workers 20]
        [--read-timeout 300] [--results results.json]

For each device of ``devices.json`` (written by benchlab.py: name, host, port,
device_type, username, password, secret, command): connect, enable when a secret is
given, run the config command, write ``DIR/<name>.cfg``, disconnect. Exit 0 when every
device was backed up, 1 otherwise; ``--results`` gets one record per device (ok,
seconds, bytes, error).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from netmiko import ConnectHandler


def backup(device: dict[str, Any], out: Path, read_timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    record: dict[str, Any] = {"name": device["name"], "ok": False}
    try:
        conn = ConnectHandler(
            device_type=device["device_type"],
            host=device["host"],
            port=device["port"],
            username=device["username"],
            password=device["password"],
            secret=device.get("secret", ""),
            conn_timeout=30,
            auth_timeout=30,
            banner_timeout=30,
        )
        try:
            if device.get("secret"):
                conn.enable()
            fetch_started = time.monotonic()
            text = conn.send_command(device["command"], read_timeout=read_timeout)
            record["fetch_seconds"] = round(time.monotonic() - fetch_started, 3)
        finally:
            conn.disconnect()
        path = out / f"{device['name']}.cfg"
        path.write_text(text if text.endswith("\n") else text + "\n")
        record.update(ok=True, bytes=len(text))
    except Exception as exc:  # a benchmark records every failure and goes on
        record["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--devices", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--read-timeout", type=float, default=300.0)
    parser.add_argument("--results", type=Path)
    args = parser.parse_args(argv)
    devices = json.loads(args.devices.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        records = list(pool.map(lambda d: backup(d, args.out, args.read_timeout), devices))
    if args.results:
        args.results.write_text(json.dumps(records, indent=1))
    failed = [r for r in records if not r["ok"]]
    for record in failed[:10]:
        print(f"{record['name']}: {record['error']}", file=sys.stderr)
    print(f"netmiko_pool: {len(records) - len(failed)}/{len(records)} backed up", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
