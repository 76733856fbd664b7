"""The changes feed (/panel/changes): every device's config changes of the last 24 h or 7 days
(config_changes, plugin_utils/recorder/db/changes.py), newest first, filtered by site,
platform, author or fingerprint; each change links to its device page's diff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from reporting.panel.common import PREFIX, allowed, device_url, now_iso, render, rows, run_url
from reporting.panel.sections import changes_text

WINDOWS = {"24h": ("last 24 h", timedelta(days=1)), "7d": ("last 7 days", timedelta(days=7))}
FILTERS = ("site", "platform", "author", "fingerprint")
LIMIT = 500


async def changes(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    window = request.args.get("window") or "24h"
    if window not in WINDOWS:
        window = "24h"
    chosen = {f: (request.args.get(f) or "").strip() for f in FILTERS}
    where, params = ["c.detected_at >= ?"], [now_iso(-WINDOWS[window][1])]
    for name, column in (("site", "d.site"), ("platform", "d.platform"), ("author", "c.author")):
        if chosen[name]:
            where.append(f"{column} = ?")
            params.append(chosen[name])
    if chosen["fingerprint"]:
        where.append("c.fingerprint = ?")
        params.append(chosen["fingerprint"])
    found = await rows(
        datasette,
        "select c.*, d.name as device, d.site, d.platform from config_changes c "
        f"join devices d on d.id = c.device_id where {' and '.join(where)} "
        f"order by c.detected_at desc, c.id desc limit {LIMIT + 1}",
        params,
    )
    more = len(found) > LIMIT
    found = found[:LIMIT]
    same: dict[str, int] = {}
    for c in found:
        same[c["fingerprint"]] = same.get(c["fingerprint"], 0) + 1
    for c in found:
        c["url"] = device_url(c["device"], **{"from": c["previous_version_id"], "to": c["version_id"]}) + "#diff"
        c["sections_url"] = (
            device_url(c["device"], **{"from": c["previous_version_id"], "to": c["version_id"], "view": "sections"})
            + "#diff"
        )
        c["run_url"] = run_url(c["run_id"]) if c["run_id"] else None
        c["summary"] = changes_text(c["sections"], 6)
        c["same_url"] = f"{PREFIX}/changes?" + urlencode({"window": window, "fingerprint": c["fingerprint"]})
        c["same"] = same[c["fingerprint"]]
    options = {}
    for name, sql in (
        ("site", "select distinct site as v from devices where site is not null order by 1"),
        ("platform", "select distinct platform as v from devices where platform is not null order by 1"),
        ("author", "select distinct author as v from config_changes where author is not null order by 1"),
    ):
        options[name] = [r["v"] for r in await rows(datasette, sql)]
    return await render(
        datasette,
        request,
        "changes",
        {
            "title": "Changes",
            "changes": found,
            "more": more,
            "window": window,
            "windows": [(k, v[0]) for k, v in WINDOWS.items()],
            "chosen": chosen,
            "options": options,
            "groups": len(same),
        },
    )
