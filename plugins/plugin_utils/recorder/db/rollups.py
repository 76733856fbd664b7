"""Pre-aggregated history for the monitoring views (reporting/, SPEC section 5): per day,
and per device, how many executions ended in each status, their durations and bytes.

The views must answer in well under a second over millions of executions; summing a
year of executions does not (5 million rows), summing a year of days does (365 rows).
Triggers on ``executions`` keep both tables exact as rows are inserted, updated (the
recorder upserts ``pending`` -> outcome) or deleted (pruning): each change subtracts
the old row's contribution and adds the new one. One trigger body, written once here,
serves SQLite (four triggers) and PostgreSQL (one PL/pgSQL function). Other dialects
get the tables but no triggers (they stay empty; the recorder supports only these two).

What counts: an execution that is no longer ``pending`` or ``running`` and has a time, on the UTC day of
``COALESCE(started_at, completed_at)`` (cancelled before it started: its completed_at).
``device_stats.last_success_at`` (its completed_at, as history.select reads it) only
ever grows: pruning a run does not lower it. Archiving (archive.py) holds the triggers
(``rollup_hold``), so archived executions stay counted.

``device_stats`` also keeps each device's **last attempt** (migration 8), so the panel reads
every device's state in one join instead of one index seek per device: the latest finished
execution that started (``last_execution_id``, ``last_status``, ``last_error_code``,
``last_attempt_at``), and the current failure streak (``consecutive_failures`` and
``failing_since``: failures since the last success; a skipped or cancelled run leaves
them). They move only forward in time: an execution older than the last attempt, a delete
(pruning) or an edit of a finished row does not rewind them (an edit of the last attempt
itself updates its status and code, not the streak).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.schema import (
    ROLLUP_STATUSES as STATUSES,
)

MEASURES = ("executions", *STATUSES, "duration_sum", "duration_count", "config_bytes")
MOMENT = "COALESCE({row}.started_at, {row}.completed_at)"
# When a success happened, as history.select() reads it ("stale" devices).
DONE_AT = "COALESCE({row}.completed_at, {row}.started_at)"
# Queued (pending) and running executions have no outcome yet: they count once they end.
COUNTED = "({row}.status NOT IN ('pending', 'running') AND " + MOMENT + " IS NOT NULL)"
# Migration 4: prune's archive (archive.py) and its restore move executions out and back in
# inside a transaction that holds a row in rollup_hold; the triggers then leave the totals
# as they are, so archiving never lowers the daily and per-device figures.
NOT_HELD = "NOT EXISTS (SELECT 1 FROM rollup_hold)"
SQLITE_TRIGGERS = (
    "executions_rollup_ai",
    "executions_rollup_ad",
    "executions_rollup_au_old",
    "executions_rollup_au_new",
)


def _values(row: str, sign: str) -> list[str]:
    """SQL for a row's contribution to each measure, times ``sign`` ('' or '-')."""
    one = [f"{sign}1"]
    for status in STATUSES:
        one.append(f"CASE WHEN {row}.status = '{status}' THEN {sign}1 ELSE 0 END")
    one += [
        f"{sign}COALESCE({row}.duration, 0)",
        f"CASE WHEN {row}.duration IS NULL THEN 0 ELSE {sign}1 END",
        f"{sign}COALESCE({row}.config_size, 0)",
    ]
    return one


def _upsert(table: str, key: str, key_sql: str, row: str, sign: str, extra: bool) -> str:
    columns, values = [key, *MEASURES], [key_sql, *_values(row, sign)]
    sets = [f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES]
    if extra:  # device_stats.last_success_at: the latest success, never lowered
        columns.append("last_success_at")
        values.append(f"CASE WHEN {row}.status = 'success' THEN {DONE_AT.format(row=row)} END")
        sets.append(
            "last_success_at = CASE WHEN excluded.last_success_at > "
            f"COALESCE({table}.last_success_at, '') THEN excluded.last_success_at "
            f"ELSE {table}.last_success_at END"
        )
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(sets)}"
    )


def apply_statements(row: str, sign: str) -> list[str]:
    """Statements adding (sign '') or removing (sign '-') ``row``'s contribution."""
    day = f"SUBSTR({MOMENT.format(row=row)}, 1, 10)"
    return [
        _upsert("daily_stats", "day", day, row, sign, extra=False),
        _upsert("device_stats", "device_id", f"{row}.device_id", row, sign, extra=True),
    ]


# A device whose last attempt ended so is failing (the panel's states read the same list).
FAILING = ("failed", "timeout", "unreachable", "interrupted")
FAILING_STATUSES = "(" + ", ".join(f"'{status}'" for status in FAILING) + ")"
LAST_COLUMNS = (
    "last_execution_id",
    "last_status",
    "last_error_code",
    "last_attempt_at",
    "consecutive_failures",
    "failing_since",
)


def last_attempt_statement(row: str) -> str:
    """Move ``row``'s device's last attempt forward to ``row`` (after the sums' upsert made
    the device_stats row). Only rows that started count (as the panel always read them)."""
    moment = MOMENT.format(row=row)
    same = f"last_execution_id = {row}.id"
    failing = f"{row}.status IN {FAILING_STATUSES}"
    return (
        f"UPDATE device_stats SET last_execution_id = {row}.id, last_status = {row}.status, "
        f"last_error_code = {row}.error_code, last_attempt_at = {moment}, "
        f"consecutive_failures = CASE WHEN {same} THEN COALESCE(consecutive_failures, 0) "
        f"WHEN {failing} THEN COALESCE(consecutive_failures, 0) + 1 "
        f"WHEN {row}.status = 'success' THEN 0 ELSE COALESCE(consecutive_failures, 0) END, "
        f"failing_since = CASE WHEN {same} THEN failing_since "
        f"WHEN {failing} THEN COALESCE(failing_since, {moment}) "
        f"WHEN {row}.status = 'success' THEN NULL ELSE failing_since END "
        f"WHERE device_id = {row}.device_id AND {row}.started_at IS NOT NULL "
        f"AND (last_attempt_at IS NULL OR last_attempt_at <= {moment})"
    )


def _sqlite_trigger(name: str, event: str, row: str, sign: str) -> str:
    body = "; ".join(apply_statements(row, sign) + ([last_attempt_statement(row)] if sign == "" else []))
    when = f"{COUNTED.format(row=row)} AND {NOT_HELD}"
    return f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON executions WHEN {when} BEGIN {body}; END"


SQLITE_DDL = (
    _sqlite_trigger("executions_rollup_ai", "INSERT", "NEW", ""),
    _sqlite_trigger("executions_rollup_ad", "DELETE", "OLD", "-"),
    # An update is two triggers: remove the old row, add the new one (sums commute).
    _sqlite_trigger("executions_rollup_au_old", "UPDATE", "OLD", "-"),
    _sqlite_trigger("executions_rollup_au_new", "UPDATE", "NEW", ""),
)

POSTGRESQL_DDL = (
    "CREATE OR REPLACE FUNCTION confvault_executions_rollup() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"IF {NOT_HELD} THEN "
    f"IF TG_OP <> 'INSERT' AND {COUNTED.format(row='OLD')} THEN "
    + "; ".join(apply_statements("OLD", "-"))
    + "; END IF; "
    f"IF TG_OP <> 'DELETE' AND {COUNTED.format(row='NEW')} THEN "
    + "; ".join([*apply_statements("NEW", ""), last_attempt_statement("NEW")])
    + "; END IF; END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS executions_rollup ON executions",
    "CREATE TRIGGER executions_rollup AFTER INSERT OR UPDATE OR DELETE ON executions "
    "FOR EACH ROW EXECUTE FUNCTION confvault_executions_rollup()",
)


def _sums(key_sql: str) -> str:
    parts = [f"{key_sql} AS k", "COUNT(*)"]
    parts += [f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in STATUSES]
    parts += ["COALESCE(SUM(duration), 0)", "COUNT(duration)", "COALESCE(SUM(config_size), 0)"]
    return ", ".join(parts)


def backfill_statements() -> list[str]:
    """Rebuild both tables from the executions already recorded (migration 2)."""
    where = COUNTED.format(row="executions")
    moment = MOMENT.format(row="executions")
    last = f"MAX(CASE WHEN status = 'success' THEN {DONE_AT.format(row='executions')} END)"
    return [
        "DELETE FROM daily_stats",
        "DELETE FROM device_stats",
        f"INSERT INTO daily_stats (day, {', '.join(MEASURES)}) "
        f"SELECT {_sums(f'SUBSTR({moment}, 1, 10)')} FROM executions WHERE {where} "
        f"GROUP BY SUBSTR({moment}, 1, 10)",
        f"INSERT INTO device_stats (device_id, {', '.join(MEASURES)}, last_success_at) "
        f"SELECT {_sums('device_id')}, {last} FROM executions WHERE {where} GROUP BY device_id",
        *backfill_last_attempt_statements(),
    ]


def backfill_last_attempt_statements(device_ids: list[int] | None = None) -> list[str]:
    """Each device's last attempt and failure streak from its executions (migration 8; and
    after a run is deleted from history, for its devices only): one index seek per device
    for the last attempt, then its failures since the last success."""
    started = "e.started_at IS NOT NULL AND e.status NOT IN ('pending', 'running')"
    since = "e.device_id = device_stats.device_id AND e.started_at > COALESCE(device_stats.last_success_at, '')"
    only = "" if device_ids is None else f"device_id IN ({', '.join(str(int(i)) for i in device_ids) or 'NULL'})"
    where = f" WHERE {only}" if only else ""
    return [
        "UPDATE device_stats SET last_execution_id = (SELECT e.id FROM executions e "
        f"WHERE e.device_id = device_stats.device_id AND {started} ORDER BY e.started_at DESC, e.id DESC LIMIT 1)"
        + where,
        "UPDATE device_stats SET last_status = (SELECT status FROM executions WHERE id = last_execution_id), "
        "last_error_code = (SELECT error_code FROM executions WHERE id = last_execution_id), "
        f"last_attempt_at = (SELECT {MOMENT.format(row='executions')} FROM executions WHERE id = last_execution_id)"
        + where,
        # a device with no attempt left has no streak (NULL, as the triggers leave it)
        "UPDATE device_stats SET consecutive_failures = CASE WHEN last_execution_id IS NULL THEN NULL ELSE "
        f"(SELECT COUNT(*) FROM executions e WHERE {since} AND e.status IN {FAILING_STATUSES}) END, "
        "failing_since = CASE WHEN last_execution_id IS NULL THEN NULL ELSE "
        f"(SELECT MIN(e.started_at) FROM executions e WHERE {since} AND e.status IN {FAILING_STATUSES}) END" + where,
    ]


def create_triggers(conn: Any) -> None:
    """Install the triggers on a SQLAlchemy connection (SQLite or PostgreSQL)."""
    ddl = {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}.get(conn.dialect.name, ())
    for statement in ddl:
        conn.exec_driver_sql(statement)


def replace_triggers(conn: Any) -> None:
    """Install the current triggers over older ones (the migrations that change them): SQLite
    creates them IF NOT EXISTS, so its old ones go first; PostgreSQL replaces its function."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    create_triggers(conn)
