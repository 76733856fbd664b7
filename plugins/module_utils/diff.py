"""What ``--diff`` may show of a device's configuration: the changed lines only, capped.

The configuration text stays out of task results, stdout, callbacks and ``ansible.log``;
``--diff`` is the one exception, and it shows no more than what changed: a unified diff with
no context lines, at most :data:`MAX_LINES` lines and :data:`MAX_BYTES` bytes (then a
``… N more lines`` note), and for a first backup no text at all, only ``new backup, N lines``.
The full history is in git. Pure functions, no Ansible.

difflib's "autojunk" (needed for speed on big configs) stops lines that fill more than 1% of
a config (``!``, ``#``, ``quit``) from anchoring a match, so an unchanged ``!`` next to a
change can come out as removed and added again; each replaced block is therefore compared
again without autojunk (:func:`_opcodes`), so that only changed lines show.
"""

from __future__ import annotations

import difflib

MAX_LINES = 200
MAX_BYTES = 16 * 1024
CONTEXT = 0
# A replaced block at most this big (lines before x lines after) is compared again exactly.
REFINE_LIMIT = 250_000


def _refine(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[tuple[str, int, int, int, int]]:
    """The opcodes of the replaced block a[i1:i2] -> b[j1:j2], without autojunk when small."""
    out: list[tuple[str, int, int, int, int]] = []
    while i1 < i2 and j1 < j2 and a[i1] == b[j1]:  # a common head and tail are unchanged lines
        out.append(("equal", i1, i1 + 1, j1, j1 + 1))
        i1, j1 = i1 + 1, j1 + 1
    tail: list[tuple[str, int, int, int, int]] = []
    while i1 < i2 and j1 < j2 and a[i2 - 1] == b[j2 - 1]:
        tail.insert(0, ("equal", i2 - 1, i2, j2 - 1, j2))
        i2, j2 = i2 - 1, j2 - 1
    if (i2 - i1) * (j2 - j1) <= REFINE_LIMIT:
        exact = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        out.extend((tag, i1 + k1, i1 + k2, j1 + l1, j1 + l2) for tag, k1, k2, l1, l2 in exact.get_opcodes())
    elif i1 < i2 or j1 < j2:
        tag = "replace" if i1 < i2 and j1 < j2 else "delete" if i1 < i2 else "insert"
        out.append((tag, i1, i2, j1, j2))
    return out + tail


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes (autojunk on, for speed), each replaced block refined, equal runs merged."""
    raw: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        raw.extend(_refine(a, b, i1, i2, j1, j2) if tag == "replace" else [(tag, i1, i2, j1, j2)])
    merged: list[tuple[str, int, int, int, int]] = []
    for code in raw:
        if code[1] == code[2] and code[3] == code[4]:
            continue
        if merged and merged[-1][0] == code[0] == "equal":
            last = merged.pop()
            code = ("equal", last[1], code[2], last[3], code[4])
        merged.append(code)
    return merged


def _range(start: int, stop: int) -> str:
    """A unified diff's line range (as difflib writes it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def unified(a: list[str], b: list[str], context: int = CONTEXT) -> list[str]:
    """The hunks (``@@`` lines and ``-``/``+``/`` `` lines) of a unified diff from a to b."""
    matcher = difflib.SequenceMatcher(None, (), ())
    matcher.opcodes = _opcodes(a, b)  # get_grouped_opcodes() groups these
    lines: list[str] = []
    if all(code[0] == "equal" for code in matcher.opcodes):
        return lines
    for group in matcher.get_grouped_opcodes(max(0, context)):
        lines.append(f"@@ -{_range(group[0][1], group[-1][2])} +{_range(group[0][3], group[-1][4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(" " + line for line in a[i1:i2])
                continue
            lines.extend("-" + line for line in a[i1:i2])
            lines.extend("+" + line for line in b[j1:j2])
    return lines


def config_diff(
    before: str | None,
    after: str,
    name: str,
    *,
    max_lines: int = MAX_LINES,
    max_bytes: int = MAX_BYTES,
    context: int = CONTEXT,
) -> str:
    """The text ``--diff`` shows for a changed backup ``name`` (ends with a newline).

    A first backup (``before`` empty or None) gives one line, ``<name>: new backup, N lines``.
    Otherwise the unified diff of the changed lines (``context`` lines around each change,
    none by default), cut after ``max_lines`` lines or ``max_bytes`` bytes of diff body
    (headers and the note not counted), followed by ``… N more lines not shown`` when cut
    (N counts the lines not shown, hunk headers aside).
    """
    count = after.count("\n") + (1 if after and not after.endswith("\n") else 0)
    if not before:
        return f"{name}: new backup, {count} line{'' if count == 1 else 's'} (not shown)\n"
    hunks = unified(before.splitlines(), after.splitlines(), context)
    if not hunks:
        return f"{name}: no line changed\n"  # only the final newline (or nothing) differs
    shown: list[str] = []
    size = 0
    hidden = 0
    full = False
    for line in hunks:
        full = full or len(shown) >= max_lines or size + len(line.encode("utf-8")) + 1 > max_bytes
        if full:
            hidden += not line.startswith("@@")
            continue
        shown.append(line)
        size += len(line.encode("utf-8")) + 1
    while full and shown and shown[-1].startswith("@@"):  # a hunk header without its lines
        shown.pop()
    out = [f"--- before: {name}", f"+++ after: {name}", *shown]
    if hidden:
        out.append(f"… {hidden} more line{'' if hidden == 1 else 's'} not shown (the full change is in git)")
    return "\n".join(out) + "\n"
