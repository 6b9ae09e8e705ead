"""The database itself refuses UPDATE and DELETE on audit events and checkpoints, on SQLite as
on PostgreSQL (whose trigger on events is in 0002): raw SQL from the application's account is
refused too. Someone who can drop a trigger can still rewrite rows; `verify_audit` against the
checkpoints kept outside the database detects it.
"""

from django.db import migrations

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION marketplace_audit_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit checkpoints are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER marketplace_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON marketplace_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION marketplace_audit_checkpoint_append_only();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS marketplace_auditcheckpoint_append_only ON marketplace_auditcheckpoint;
DROP FUNCTION IF EXISTS marketplace_audit_checkpoint_append_only();
"""

SQLITE_TABLES = {"marketplace_auditevent": "audit events", "marketplace_auditcheckpoint": "audit checkpoints"}
SQLITE_CREATE = """
CREATE TRIGGER {table}_no_{op} BEFORE {op} ON {table}
BEGIN
    SELECT RAISE(ABORT, '{what} are append-only ({op} refused)');
END;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE, params=None)
    elif vendor == "sqlite":
        for table, what in SQLITE_TABLES.items():
            for op in ["UPDATE", "DELETE"]:
                schema_editor.execute(SQLITE_CREATE.format(table=table, op=op, what=what), params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for table in SQLITE_TABLES:
            for op in ["UPDATE", "DELETE"]:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}", params=None)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_audit_checkpoint")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
