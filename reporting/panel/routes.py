"""The panel's routes, registered by reporting/plugins/confvault_reporting.py."""

from __future__ import annotations

from typing import Any

from reporting.panel.common import PREFIX
from reporting.panel.control import control
from reporting.panel.dashboard import dashboard, home
from reporting.panel.device import device, device_config
from reporting.panel.lists import LISTS, list_page
from reporting.panel.run import run


def routes() -> list[tuple[str, Any]]:
    slugs = "|".join(LISTS)
    return [
        (r"^/$", home),
        (rf"^{PREFIX}/?$", dashboard),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)/config\.txt$", device_config),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)$", device),
        (rf"^{PREFIX}/run/(?P<run_id>[^/]+)$", run),
        (rf"^{PREFIX}/run/(?P<run_id>[^/]+)/control$", control),
        (rf"^{PREFIX}/(?P<slug>{slugs})$", list_page),
    ]
