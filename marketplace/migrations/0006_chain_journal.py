"""The chain journal: audit and live events of a committed act, waiting for the sequencer.

The database refuses any UPDATE of a journal row, and a DELETE of one unless an audit event made
from it (`journal_id`) is already stored: only the sequencer, moving the row into the chain in
the same transaction, can remove it. On SQLite and on PostgreSQL alike.
"""

from django.db import migrations, models

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION marketplace_chain_journal_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM marketplace_auditevent WHERE journal_id = OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'journal rows leave only into the audit chain (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER marketplace_chainjournal_guard
    BEFORE UPDATE OR DELETE ON marketplace_chainjournal
    FOR EACH ROW EXECUTE FUNCTION marketplace_chain_journal_guard();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS marketplace_chainjournal_guard ON marketplace_chainjournal;
DROP FUNCTION IF EXISTS marketplace_chain_journal_guard();
"""
SQLITE_CREATE = [
    """
CREATE TRIGGER marketplace_chainjournal_no_UPDATE BEFORE UPDATE ON marketplace_chainjournal
BEGIN
    SELECT RAISE(ABORT, 'journal rows leave only into the audit chain (UPDATE refused)');
END;
""",
    """
CREATE TRIGGER marketplace_chainjournal_no_DELETE BEFORE DELETE ON marketplace_chainjournal
WHEN NOT EXISTS (SELECT 1 FROM marketplace_auditevent WHERE journal_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'journal rows leave only into the audit chain (DELETE refused)');
END;
""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS marketplace_chainjournal_no_UPDATE",
    "DROP TRIGGER IF EXISTS marketplace_chainjournal_no_DELETE",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_append_only_triggers")]

    operations = [
        migrations.CreateModel(
            name="ChainJournal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(editable=False)),
                ("entries", models.JSONField(editable=False)),
                ("live", models.JSONField(default=list, editable=False)),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="journal_id",
            field=models.PositiveBigIntegerField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
