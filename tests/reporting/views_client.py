"""Datasette's own client over a database, as reporting/app.py builds the instance."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from reporting.app import build


def fetch(db: Path, path: str, password_hash: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """GET ``path`` from a fresh Datasette over ``db``; the httpx response."""

    async def go() -> Any:
        ds = build(db, password_hash)
        await ds.invoke_startup()
        return await ds.client.get(path, headers=headers)

    return asyncio.run(go())


def rows(db: Path, query: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a canned query (or table), as JSON objects."""
    response = fetch(db, f"/confvault/{query}.json?{urlencode({**params, '_shape': 'array'})}")
    assert response.status_code == 200, response.text
    return response.json()
