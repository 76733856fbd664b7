"""Change alerts: at the end of a run, one notification of the config changes it found.

Changes are grouped by fingerprint (the same change on 37 devices is one group: "37 devices,
site lon: + ntp server 10.0.0.5"), each group with its order-insensitive diff inline
(capped), its authors, its reverts, and a link to the panel's diff. A flapping device is
told once (config_change.judge) and marked; a change that only moved lines is counted, not
shown, in the default ``sections`` view.

Targets are separate from the failure alerts' (notify.py), whose webhook and e-mail senders
this reuses: a JSON webhook, e-mail, and any chat tool apprise knows (Slack, Mattermost,
Teams, Matrix, ``json://``...). Secrets (webhook token, apprise URLs, SMTP password) come
from the environment and appear in no message, payload or warning.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils.config_change import section_lines
from ansible_collections.confvault.network.plugins.plugin_utils.recorder import notify
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.notify import NotifyConfig, NotifyError

DIFF_LINES = 40  # per group, inline
MAX_GROUPS = 50
MAX_DEVICES_LISTED = 20


@dataclass(frozen=True)
class ChangeNotifyConfig:
    view: str = "sections"  # "sections" (order-insensitive) | "lines" (every changed version)
    webhook_url: str | None = None
    webhook_token: str | None = None  # from the environment
    email_to: tuple[str, ...] = ()
    apprise_urls: tuple[str, ...] = ()  # from the environment: they hold tokens
    panel_url: str | None = None  # the panel's base URL, for links
    mail: NotifyConfig = field(default_factory=NotifyConfig)  # SMTP server and sender, shared

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url or self.email_to or self.apprise_urls)


@dataclass
class ChangeGroup:
    fingerprint: str
    devices: list[str]
    sites: list[str]
    platforms: list[str]
    authors: list[str]
    reverts: list[str]
    flapping: list[str]
    lines_added: int
    lines_removed: int
    diff: list[str]
    url: str | None

    def headline(self) -> str:
        n = len(self.devices)
        where = f", site {', '.join(self.sites)}" if self.sites else ""
        who = f" by {', '.join(self.authors)}" if self.authors else ""
        first = next((line.strip() for line in self.diff if line.strip()[:2] in ("+ ", "- ")), "order of lines only")
        return f"{n} device{'' if n == 1 else 's'}{where}{who}: {first}"


@dataclass
class ChangeReport:
    run_id: str
    groups: list[ChangeGroup]
    order_only: list[str]  # devices whose lines only moved
    suppressed: list[str]  # flapping devices already told
    playbook: str | None = None

    @property
    def devices(self) -> int:
        return sum(len(g.devices) for g in self.groups)

    def payload(self) -> dict[str, Any]:
        return {
            "event": "confvault.config.changed",
            "run_id": self.run_id,
            "playbook": self.playbook,
            "groups": [vars(g) for g in self.groups],
            "order_only": self.order_only,
            "suppressed_flapping": self.suppressed,
        }

    def subject(self) -> str:
        n = len(self.groups)
        return f"[ConfVault] {n} config change{'' if n == 1 else 's'} on {self.devices} device{'' if self.devices == 1 else 's'}"

    def text(self) -> str:
        lines = [self.subject(), f"run id: {self.run_id}", ""]
        for g in self.groups:
            lines.append(g.headline())
            if len(g.devices) > 1:
                shown = g.devices[:MAX_DEVICES_LISTED]
                more = len(g.devices) - len(shown)
                lines.append("  devices: " + ", ".join(shown) + (f" and {more} more" if more else ""))
            if g.reverts:
                lines.append("  REVERT (back to an earlier version): " + ", ".join(g.reverts))
            if g.flapping:
                lines.append("  FLAPPING (alternating between two versions; not told again): " + ", ".join(g.flapping))
            lines.extend("    " + line for line in g.diff)
            if g.url:
                lines.append(f"  diff: {g.url}")
            lines.append("")
        if self.order_only:
            lines.append("lines reordered only (no change in the section view): " + ", ".join(self.order_only))
        return "\n".join(lines) + "\n"


def report(
    run_id: str, changes: Iterable[Mapping[str, Any]], view: str = "sections", panel_url: str | None = None, **info: Any
) -> ChangeReport:
    """The run's changes (changes.run_changes rows) grouped by fingerprint, biggest first."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    order_only, suppressed = [], []
    for c in changes:
        if not c.get("notify"):
            suppressed.append(str(c["device"]))
            continue
        if not c.get("section_count") and view == "sections":
            order_only.append(str(c["device"]))
            continue
        key = c["fingerprint"] if view == "sections" else f"{c['fingerprint']}:{c['device']}"
        grouped.setdefault(key, []).append(c)
    groups = []
    for members in grouped.values():
        first = members[0]
        devices = sorted(str(m["device"]) for m in members)
        diff = section_lines(first.get("sections") or [], DIFF_LINES)
        url = None
        if panel_url:
            base = panel_url.rstrip("/")
            query = urllib.parse.urlencode(
                {"from": first.get("previous_version_id"), "to": first.get("version_id"), "view": "sections"}
            )
            url = f"{base}/panel/device/{urllib.parse.quote(str(first['device']), safe='')}?{query}#diff"
        groups.append(
            ChangeGroup(
                fingerprint=str(first["fingerprint"]),
                devices=devices,
                sites=sorted({str(m["site"]) for m in members if m.get("site")}),
                platforms=sorted({str(m["platform"]) for m in members if m.get("platform")}),
                authors=sorted({str(m["author"]) for m in members if m.get("author")}),
                reverts=sorted(str(m["device"]) for m in members if m.get("is_revert") and not m.get("flapping")),
                flapping=sorted(str(m["device"]) for m in members if m.get("flapping")),
                lines_added=sum(int(m.get("lines_added") or 0) for m in members),
                lines_removed=sum(int(m.get("lines_removed") or 0) for m in members),
                diff=diff,
                url=url,
            )
        )
    groups.sort(key=lambda g: (-len(g.devices), g.devices[0]))
    return ChangeReport(run_id, groups[:MAX_GROUPS], sorted(order_only), sorted(suppressed), **info)


def send_apprise(config: ChangeNotifyConfig, change: ChangeReport) -> None:
    try:
        import apprise  # only when a chat target is set: it takes a while to import
    except ImportError:
        raise NotifyError("chat notification needs the Python package apprise (pip install apprise)") from None
    quiet = logging.getLogger("apprise")  # its log lines may quote a URL, token and all
    saved = (quiet.propagate, quiet.level)
    quiet.propagate, quiet.level = False, logging.CRITICAL + 1
    try:
        sender = apprise.Apprise()
        for url in config.apprise_urls:
            if not sender.add(url):
                raise NotifyError(f"chat target {_scheme(url)}:// is not a URL apprise knows")
        if not sender.notify(title=change.subject(), body=change.text()):
            raise NotifyError(f"chat notification via {', '.join(_scheme(u) for u in config.apprise_urls)} failed")
    finally:
        quiet.propagate, quiet.level = saved


def deliver(config: ChangeNotifyConfig, change: ChangeReport) -> list[str]:
    """Send the change alert to each configured target; returns the problems, never raises."""
    if not config.enabled or not (change.groups or change.order_only):
        return []
    targets = replace(
        config.mail,
        webhook_url=config.webhook_url,
        webhook_token=config.webhook_token,
        email_to=config.email_to,
    )
    problems = []
    for wanted, send in (
        (config.webhook_url, lambda: notify.send_webhook(targets, change)),  # type: ignore[arg-type]
        (config.email_to, lambda: notify.send_email(targets, change)),  # type: ignore[arg-type]
        (config.apprise_urls, lambda: send_apprise(config, change)),
    ):
        if wanted:
            try:
                send()
            except NotifyError as exc:
                problems.append(f"change alert: {exc}")
            except Exception as exc:  # noqa: BLE001 - a chat plugin's bug must not end the run
                problems.append(f"change alert: {type(exc).__name__}")
    return problems


def _scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme or "?"
