"""The recorder's tables, as SQLAlchemy Core: the CURRENT schema (migrations.py says how an
older database gets here).

Made to be read in Datasette as much as written by the callback: real foreign keys,
ISO-8601 UTC text timestamps (``2026-11-23T09:15:02.123Z``, see models.iso), statuses as
readable text, JSON as TEXT, integer keys for devices and executions, uuid text for runs.
Column names avoid SQL keywords (``limit``, ``user``) so hand-written views need no quoting.

Full-text search over configs is SQLite FTS5 (``config_contents_fts``, external content,
kept in sync by triggers). PostgreSQL has no FTS table: the store searches with ILIKE, and
a pg_trgm GIN index on config_contents.content can be added by a later migration.
"""

from __future__ import annotations

try:
    import sqlalchemy as sa
except ImportError as exc:  # reported by recorder_store.require_sqlalchemy(), not here
    sa = None  # type: ignore[assignment]
    SQLALCHEMY_IMPORT_ERROR: ImportError | None = exc
else:
    SQLALCHEMY_IMPORT_ERROR = None

# FTS5 over config_contents.content, synchronised by triggers: sqlite-utils' enable_fts
# shape, which Datasette detects (content=...) to put a search box on config_contents.
# config_contents has an INTEGER PRIMARY KEY because external-content FTS joins on rowid,
# and VACUUM may renumber the rowids of a table without one (sqlite.org/lang_vacuum.html).
SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS config_contents_fts USING fts5("
    "content, content='config_contents', content_rowid='id')",
    "CREATE TRIGGER IF NOT EXISTS config_contents_ai AFTER INSERT ON config_contents BEGIN "
    "INSERT INTO config_contents_fts (rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER IF NOT EXISTS config_contents_ad AFTER DELETE ON config_contents BEGIN "
    "INSERT INTO config_contents_fts (config_contents_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER IF NOT EXISTS config_contents_au AFTER UPDATE ON config_contents BEGIN "
    "INSERT INTO config_contents_fts (config_contents_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); "
    "INSERT INTO config_contents_fts (rowid, content) VALUES (new.id, new.content); END",
)

# The statuses counted as failures (models.FAILED_STATUSES), as an index condition.
_FAILED = "status IN ('failed', 'timeout', 'unreachable')"

# Every execution status but pending: the rollup tables' count columns (rollups.py).
ROLLUP_STATUSES = ("success", "failed", "timeout", "unreachable", "skipped", "cancelled", "interrupted")

# Columns holding JSON text, decoded by the store's readers.
JSON_COLUMNS = ("extra", "groups")

if sa is not None:
    _text = sa.Text

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )

    schema_migrations = sa.Table(
        "schema_migrations",
        metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", _text, nullable=False),
        sa.Column("applied_at", _text, nullable=False),
    )

    runs = sa.Table(
        "runs",
        metadata,
        sa.Column("run_id", _text, primary_key=True),
        sa.Column("status", _text, nullable=False, server_default="pending"),
        sa.Column("playbook", _text),
        sa.Column("inventory", _text),
        sa.Column("host_limit", _text),  # ansible-playbook --limit
        sa.Column("forks", sa.Integer),
        sa.Column("timeout", sa.Integer),
        sa.Column("retries", sa.Integer),
        sa.Column("check_mode", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("user_name", _text),
        sa.Column("controller_host", _text),
        sa.Column("controller_pid", sa.Integer),
        sa.Column("parent_run_id", _text, sa.ForeignKey("runs.run_id", ondelete="SET NULL")),
        sa.Column("awx_job_id", _text),
        sa.Column("awx_job_template_id", _text),
        sa.Column("awx_job_template_name", _text),
        sa.Column("awx_schedule_id", _text),
        sa.Column("awx_workflow_job_id", _text),
        sa.Column("awx_user_name", _text),
        sa.Column("ansible_version", _text),
        sa.Column("extra", _text, nullable=False, server_default="{}"),  # JSON
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("success", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", _text, nullable=False),
        sa.Column("started_at", _text),
        sa.Column("completed_at", _text),
        sa.Column("heartbeat_at", _text),
        sa.Column("error", _text),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
        # Run control (migration 5, plugin_utils/control/): what an operator asked of the
        # live run (NULL, 'pause', 'cancel'), and how often its controller beats (seconds).
        sa.Column("control", _text),
        sa.Column("heartbeat_every", sa.Float),
        sa.Index("ix_runs_status_created", "status", "created_at"),
        sa.Index("ix_runs_schedule_created", "awx_schedule_id", "created_at"),
    )

    devices = sa.Table(
        "devices",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", _text, nullable=False, unique=True),  # inventory hostname
        sa.Column("address", _text),
        sa.Column("port", sa.Integer),
        sa.Column("platform", _text),
        sa.Column("vendor", _text),
        sa.Column("model", _text),
        sa.Column("site", _text),
        sa.Column("role", _text),
        sa.Column("status", _text),
        sa.Column("groups", _text, nullable=False, server_default="[]"),  # JSON list
        sa.Column("first_seen", _text, nullable=False),
        sa.Column("last_seen", _text, nullable=False),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
    )

    executions = sa.Table(
        "executions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", _text, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("status", _text, nullable=False),
        sa.Column("error_code", _text),
        sa.Column("error_message", _text),
        sa.Column("error_detail", _text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", _text),
        sa.Column("completed_at", _text),
        sa.Column("duration", sa.Float),
        sa.Column("config_size", sa.Integer),
        sa.Column("line_count", sa.Integer),
        sa.Column("sha256", _text),
        sa.Column("changed", sa.Boolean),
        sa.Column("git_commit", _text),
        sa.Column("path", _text),
        sa.Column("skip_reason", _text),
        sa.Column("extra", _text, nullable=False, server_default="{}"),  # JSON
        # When the run queued it (migration 3; NULL for executions recorded before).
        sa.Column("created_at", _text),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
        sa.UniqueConstraint("run_id", "device_id"),
        sa.Index("ix_executions_device_started", "device_id", "started_at"),
        sa.Index("ix_executions_status_started", "status", "started_at"),
        # (run_id) for a run's page; status too, so a run's totals are read from the index.
        sa.Index("ix_executions_run_status", "run_id", "status"),
        # Newest first, unfiltered (reporting's recent executions, migration 2).
        sa.Index("ix_executions_started", "started_at"),
        # The failures of the last N days by device, read from the index alone (migration 2).
        sa.Index(
            "ix_executions_failures",
            "started_at",
            "device_id",
            sqlite_where=sa.text(_FAILED),
            postgresql_where=sa.text(_FAILED),
        ),
    )

    attempts = sa.Table(
        "attempts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "execution_id",
            sa.Integer,
            sa.ForeignKey("executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("started_at", _text),
        sa.Column("duration", sa.Float),
        sa.Column("error_code", _text),
        sa.Column("error", _text),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
        sa.UniqueConstraint("execution_id", "number"),
    )

    # Content-addressed: one row per distinct (redacted) config, however many versions
    # and executions point at it.
    config_contents = sa.Table(
        "config_contents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),  # the FTS rowid
        sa.Column("sha256", _text, nullable=False, unique=True),
        sa.Column("content", _text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),  # bytes, UTF-8
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
    )

    # A device's history: a row each time its config differs from its previous version.
    config_versions = sa.Table(
        "config_versions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("sha256", _text, sa.ForeignKey("config_contents.sha256"), nullable=False),
        sa.Column("git_commit", _text),
        # Pruning runs keeps every version (SPEC section 4), so this may become NULL.
        sa.Column("run_id", _text, sa.ForeignKey("runs.run_id", ondelete="SET NULL")),
        sa.Column("first_seen", _text, nullable=False),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
        sa.Index("ix_config_versions_device_first_seen", "device_id", "first_seen"),
        sa.Index("ix_config_versions_sha256", "sha256"),
    )

    # Rollups for the monitoring views, kept exact by triggers on executions: rollups.py.
    def _measures() -> list[sa.Column]:
        counts = ["executions", *ROLLUP_STATUSES]
        columns = [sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in counts]
        return [
            *columns,
            sa.Column("duration_sum", sa.Float, nullable=False, server_default="0"),
            sa.Column("duration_count", sa.Integer, nullable=False, server_default="0"),
            sa.Column("config_bytes", sa.BigInteger, nullable=False, server_default="0"),
        ]

    daily_stats = sa.Table(
        "daily_stats",
        metadata,
        sa.Column("day", _text, primary_key=True),  # YYYY-MM-DD, UTC
        *_measures(),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
    )

    device_stats = sa.Table(
        "device_stats",
        metadata,
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), primary_key=True, autoincrement=False),
        *_measures(),
        sa.Column("last_success_at", _text),
        # the last attempt and the failure streak (rollups.last_attempt_statement)
        sa.Column("last_execution_id", sa.Integer),
        sa.Column("last_status", _text),
        sa.Column("last_error_code", _text),
        sa.Column("last_attempt_at", _text),
        sa.Column("consecutive_failures", sa.Integer),
        sa.Column("failing_since", _text),
        sa.Column("change_xid", sa.BigInteger),  # migration 4: changes.py
    )

    # Migration 4: prune's archive (archive.py) records each archiving here, so the
    # mirror (reporting/mirror/) removes the same rows from its copy.
    archives = sa.Table(
        "archives",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("archived_at", _text, nullable=False),
        sa.Column("cutoff", _text, nullable=False),  # executions that ended before it
        sa.Column("executions", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("months", _text, nullable=False, server_default="[]"),  # JSON list, YYYY-MM
        sa.Column("directory", _text),
        sa.Column("change_xid", sa.BigInteger),
    )

    # Migration 4: while this table has a row (inside one transaction only: archive.py
    # inserts and deletes it before commit), the rollup triggers leave the totals alone.
    rollup_hold = sa.Table(
        "rollup_hold",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reason", _text, nullable=False),
    )

    # One row per new config version of a device that had a previous one (migration 6):
    # what changed (plain line counts, order-insensitive sections as JSON), who changed it
    # when the device says so (redacted), the change's fingerprint (same change on many
    # devices = one fingerprint), revert and flap flags, and whether alerts report it.
    config_changes = sa.Table(
        "config_changes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("run_id", _text, sa.ForeignKey("runs.run_id", ondelete="SET NULL")),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("config_versions.id"), nullable=False),
        sa.Column("previous_version_id", sa.Integer, sa.ForeignKey("config_versions.id")),
        sa.Column("previous_sha256", _text, nullable=False),
        sa.Column("sha256", _text, nullable=False),
        sa.Column("lines_added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lines_removed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sections", _text, nullable=False, server_default="[]"),  # JSON list
        sa.Column("section_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("author", _text),
        sa.Column("fingerprint", _text, nullable=False),
        sa.Column("is_revert", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("flapping", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("notify", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("detected_at", _text, nullable=False),
        sa.Column("change_xid", sa.BigInteger),  # migration 9: stamps.py
        sa.Index("ix_config_changes_detected", "detected_at"),
        sa.Index("ix_config_changes_device", "device_id", "id"),
        sa.Index("ix_config_changes_run", "run_id"),
        sa.Index("ix_config_changes_fingerprint", "fingerprint"),
    )

    # Compliance (migration 7): compliance_tables.py.
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import compliance_tables

    COMPLIANCE = compliance_tables.define(metadata)
    # Run control's audit trail (migration 5): pause, resume, cancel, recover, delete, who
    # and when. No foreign key: a deleted run's events stay.
    run_events = sa.Table(
        "run_events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", _text, nullable=False),
        sa.Column("at", _text, nullable=False),
        sa.Column("event", _text, nullable=False),
        sa.Column("actor", _text),
        sa.Column("detail", _text),
        sa.Index("ix_run_events_run_at", "run_id", "at"),
    )
