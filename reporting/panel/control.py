"""Run control from the panel: the run page's pause / resume / cancel buttons
(POST /panel/run/<run_id>/control), and the status a lost run is shown with.

Only a logged-in user may control a run, and only when the panel has a login (app.py always
configures one): without it the panel stays read-only and this route answers 403. The form
carries Datasette's CSRF token (asgi-csrf checks it before this handler runs). The request
goes through plugins/plugin_utils/control/runs.py, as scripts/run-control.py's does, and is
recorded in run_events with the panel user's name. asgi-csrf skips requests without
cookies (HTTP basic auth from a browser could be replayed cross-site): this handler also
requires the token field and its cookie.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Forbidden, Response

from ansible_collections.confvault.network.plugins.plugin_utils.control import state
from reporting.panel.common import DATABASE, allowed, run_url

LIVE = state.LIVE


def can_control(datasette: Any, request: Any) -> bool:
    """A logged-in user of a panel that has a login."""
    accounts = datasette.plugin_config("datasette-auth-passwords") or {}
    login = any(k.endswith("_password_hash") and v for k, v in accounts.items())
    return login and request.actor is not None


def shown(run: dict[str, Any], executions: list[dict[str, Any]], counts: dict[str, int]) -> str:
    """The run's status as the panel shows it; a lost run's unfinished devices become
    ``interrupted`` (what the next run will record)."""
    status = state.shown_status(run, time.time())
    if status == "interrupted" and run["status"] != "interrupted":
        for e in executions:
            if e["status"] in ("pending", "running"):
                e["status"] = e["state"] = "interrupted"
        lost = sum(counts.pop(s, 0) for s in ("pending", "running"))
        if lost:
            counts["interrupted"] = counts.get("interrupted", 0) + lost
    return status


def _request(db_path: str, run_id: str, action: str, actor: str) -> dict[str, Any]:
    from ansible_collections.confvault.network.plugins.plugin_utils.control import runs
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

    store = RecorderStore(f"sqlite:///{db_path}")
    try:
        return runs.request(store, run_id, action, actor)
    finally:
        store.close()


async def control(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    if request.method != "POST":
        return Response.text("POST pause, resume or cancel here (the run page's buttons)", status=405)
    if not can_control(datasette, request):
        raise Forbidden("Controlling a run needs a logged-in user; this panel is read-only.")
    form = await request.post_vars()
    # asgi-csrf only checks a request that carries cookies; a browser's cached basic-auth
    # credentials need none. So the token must be there, and its cookie (then checked).
    if not (form.get("csrftoken") and request.cookies.get("ds_csrftoken")):
        raise Forbidden("The run page's form (its CSRF token) is needed to control a run.")
    run_id = unquote(request.url_vars["run_id"])
    action = form.get("action", "")
    actor = f"{request.actor.get('id')} (panel)"
    path = datasette.get_database(DATABASE).path
    try:
        await asyncio.to_thread(_request, path, run_id, action, actor)
        message, kind = f"{action.capitalize()} requested for run {run_id}.", datasette.INFO
    except state.ControlError as exc:
        message, kind = f"Not done: {exc}", datasette.ERROR
    datasette.add_message(request, message, kind)
    return Response.redirect(datasette.urls.path(run_url(run_id)))
