"""What --diff may show of a configuration (issue 13): changed lines only, capped."""

from __future__ import annotations

import time

from ansible_collections.confvault.network.plugins.module_utils.diff import MAX_BYTES, MAX_LINES, config_diff

OLD = "".join(f"interface Gi0/{i}\n description port {i}\n!\n" for i in range(400))


def test_first_backup_shows_no_config_text() -> None:
    shown = config_diff(None, OLD, "/b/sw01.cfg")
    assert shown == "/b/sw01.cfg: new backup, 1200 lines (not shown)\n"
    assert config_diff("", "hostname x\n", "x.cfg") == "x.cfg: new backup, 1 line (not shown)\n"


def test_only_changed_lines_without_context() -> None:
    new = OLD.replace(" description port 7\n", " description uplink\n").replace(
        "interface Gi0/300\n", "interface Gi0/300\n shutdown\n"
    )
    shown = config_diff(OLD, new, "sw01.cfg")
    assert shown.splitlines() == [
        "--- before: sw01.cfg",
        "+++ after: sw01.cfg",
        "@@ -23 +23 @@",
        "- description port 7",
        "+ description uplink",
        "@@ -901,0 +902 @@",
        "+ shutdown",
    ]
    assert "interface Gi0/7" not in shown  # the unchanged neighbour is not shown


def test_long_diff_is_capped_with_a_note() -> None:
    new = OLD.replace("description port", "description PORT")
    shown = config_diff(OLD, new, "sw01.cfg")
    lines = shown.splitlines()
    assert len(lines) <= 2 + MAX_LINES + 1 and len(shown.encode()) <= MAX_BYTES + 200
    changed = [line for line in lines[2:-1] if line[:1] in "-+"]
    assert lines[-1] == f"… {800 - len(changed)} more lines not shown (the full change is in git)"
    # only changed lines: no unchanged neighbour, not even a "!" that fills a third of the config
    assert all(line[1:].startswith((" description port", " description PORT")) for line in changed)
    assert all(line.startswith("@@") for line in lines[2:-1] if line[:1] not in "-+")


def test_byte_cap_holds_for_long_lines() -> None:
    old = "".join(f"banner {i} {'x' * 1000}\n" for i in range(50))
    new = old.replace("banner", "BANNER")
    shown = config_diff(old, new, "sw01.cfg")
    assert len(shown.encode()) <= MAX_BYTES + 200
    assert shown.rstrip().endswith("more lines not shown (the full change is in git)")
    assert not shown.splitlines()[-2].startswith("@@")  # no hunk header without its lines


def test_unchanged_popular_lines_stay_out() -> None:
    """difflib's autojunk alone shows the unchanged "!" after the last change as removed and added."""
    new = OLD.replace(" description port 399\n", " description last\n")
    assert config_diff(OLD, new, "x.cfg").splitlines()[2:] == [
        "@@ -1199 +1199 @@",
        "- description port 399",
        "+ description last",
    ]


def test_big_config_is_quick() -> None:
    old = "".join(f"interface Gi0/{i}\n description port {i}\n!\n" for i in range(15000))
    new = old.replace("Gi0/3\n", "Gi0/3\n shutdown\n").replace("port 14990\n", "core\n")
    started = time.monotonic()
    shown = config_diff(old, new, "x.cfg")
    assert time.monotonic() - started < 5
    assert shown.splitlines()[2:] == [
        "@@ -10,0 +11 @@",
        "+ shutdown",
        "@@ -44972 +44973 @@",
        "- description port 14990",
        "+ description core",
    ]


def test_small_caps_and_context() -> None:
    new = OLD.replace(" description port 7\n", " description uplink\n")
    with_context = config_diff(OLD, new, "x.cfg", context=1)
    assert "interface Gi0/7" in with_context and with_context.count("\n") == 7
    capped = config_diff(OLD, OLD.replace("port", "P"), "x.cfg", max_lines=4)
    assert capped.splitlines()[2:] == [
        "@@ -2 +2 @@",
        "- description port 0",
        "+ description P 0",
        "… 798 more lines not shown (the full change is in git)",
    ]
    assert config_diff("a\n", "a", "x.cfg") == "x.cfg: no line changed\n"
