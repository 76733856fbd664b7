"""The mirror's and the archive's pure parts: statements and names they derive."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import archive, schema, stamps  # noqa: E402
from reporting.mirror import source, target  # noqa: E402


def test_every_mirrored_table_has_a_change_stamp_and_a_key() -> None:
    for name in stamps.TABLES:
        table = schema.metadata.tables[name]
        assert "change_xid" in table.columns and list(table.primary_key.columns), name
    ddl = stamps.postgresql_ddl(("runs",))
    assert ddl[0] == stamps.FUNCTION and "pg_current_xact_id()" in ddl[0]
    assert ddl[1:] == [
        "DROP TRIGGER IF EXISTS runs_change ON runs",
        "CREATE TRIGGER runs_change BEFORE INSERT OR UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION confvault_stamp_change()",
        "CREATE INDEX IF NOT EXISTS ix_runs_change_xid ON runs (change_xid)",
    ]


def test_mirrored_tables_come_after_their_parents_and_deletes_name_their_keys() -> None:
    for i, name in enumerate(stamps.TABLES):
        parents = {fk.column.table.name for fk in schema.metadata.tables[name].foreign_keys} - {name}
        assert parents & set(stamps.TABLES) <= set(stamps.TABLES[:i]), name
    for name, key in stamps.DELETES.items():
        assert name in stamps.TABLES
        assert key == tuple(c.name for c in schema.metadata.tables[name].primary_key.columns), name
    ddl = stamps.postgresql_ddl(("compliance_daily",))
    assert ddl[-1] == (
        "CREATE TRIGGER compliance_daily_delete AFTER DELETE ON compliance_daily FOR EACH ROW "
        "EXECUTE FUNCTION confvault_record_delete('day', 'rule_id', 'site')"
    )
    assert not any(stamps.TOMBSTONES in statement for statement in stamps.postgresql_ddl(("runs",)))
    assert "interval '7 days'" in stamps.prune_sql()


def test_upserts_update_every_column_but_the_key() -> None:
    sql = target._upsert_sql("device_stats")  # noqa: SLF001
    assert sql.startswith("INSERT INTO device_stats (device_id, executions,")
    head, _sep, sets = sql.partition(" ON CONFLICT (device_id) DO UPDATE SET ")
    columns = [c for c in schema.device_stats.columns.keys() if c != "device_id"]
    assert sets == ", ".join(f"{c} = excluded.{c}" for c in columns)
    assert "last_success_at = excluded.last_success_at" in sets and sets.endswith("change_xid = excluded.change_xid")
    assert sql.count("?") == len(schema.device_stats.columns)


def test_the_source_url_is_named_without_its_password() -> None:
    assert (
        source.redacted("postgresql+psycopg://panel:s3cret@db:5432/cv") == "postgresql+psycopg://panel:***@db:5432/cv"
    )
    with pytest.raises(source.SourceError, match="PostgreSQL history"):
        source.connect("sqlite:///x.db")
    with pytest.raises(ValueError, match="not mirrored"):
        next(source.changed(None, "rollup_hold", 0, source.Reads()))


@pytest.mark.parametrize(
    "execution, month",
    [
        ({"completed_at": "2026-01-31T23:59:59.999Z", "started_at": "2026-01-31T23:59:00.000Z"}, "2026-01"),
        ({"completed_at": None, "started_at": "2025-12-31T10:00:00.000Z"}, "2025-12"),
    ],
    ids=["its-end", "cancelled-before-its-end"],
)
def test_archive_month_is_the_executions_end(execution: dict[str, str | None], month: str) -> None:
    assert archive.month_of(execution) == month
    assert archive.file_for(Path("/a"), month) == Path(f"/a/executions-{month}.jsonl.gz")
