"""The panel's routes, registered by reporting/plugins/confvault_reporting.py."""

from __future__ import annotations

from typing import Any

from reporting.panel.changes import changes
from reporting.panel.common import PREFIX
from reporting.panel.compliance_device import device_page as compliance_device
from reporting.panel.compliance_export import export as compliance_export
from reporting.panel.compliance_overview import overview as compliance_overview
from reporting.panel.compliance_rule import rule_page as compliance_rule
from reporting.panel.control import control
from reporting.panel.dashboard import dashboard, home
from reporting.panel.device import device, device_config
from reporting.panel.lists import LISTS, list_page
from reporting.panel.metrics import metrics
from reporting.panel.run import run


def routes() -> list[tuple[str, Any]]:
    slugs = "|".join(LISTS)
    return [
        (r"^/$", home),
        (rf"^{PREFIX}/?$", dashboard),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)/config\.txt$", device_config),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)$", device),
        (rf"^{PREFIX}/run/(?P<run_id>[^/]+)$", run),
        (rf"^{PREFIX}/changes$", changes),
        (r"^/-/confvault/metrics$", metrics),  # for Prometheus: its own token (metrics.py)
        (rf"^{PREFIX}/compliance/?$", compliance_overview),
        (rf"^{PREFIX}/compliance/rule/(?P<rule_id>[^/]+)$", compliance_rule),
        (rf"^{PREFIX}/compliance/device/(?P<name>[^/]+)$", compliance_device),
        (rf"^{PREFIX}/compliance/export\.(?P<kind>csv|xlsx)$", compliance_export),
        (rf"^{PREFIX}/run/(?P<run_id>[^/]+)/control$", control),
        (rf"^{PREFIX}/(?P<slug>{slugs})$", list_page),
    ]
