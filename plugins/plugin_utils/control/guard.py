"""One run at a time: the backup playbooks' first play refuses a run while another live run
has devices of it queued or running (unless ``confvault_allow_concurrent``). Runs in the
controller's worker of the check task (inventory_check's action), with the run the
recorder bound (gate.bind); without a recorder there is nothing to compare with."""

from __future__ import annotations

from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.control import gate, state


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def concurrency_problem(allow_concurrent: Any) -> str | None:
    """The refusal message, or None when the run may go on."""
    found = gate.bound()
    if found is None or truthy(allow_concurrent):
        return None
    run_id, url = found
    from ansible_collections.confvault.network.plugins.plugin_utils.control import runs
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

    store = RecorderStore(url)
    try:
        earlier, overlap = runs.overlapping(store, run_id)
    finally:
        store.close()
    return state.refusal(earlier, overlap) if earlier else None
