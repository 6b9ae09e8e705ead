"""On PostgreSQL, the database itself refuses UPDATE and DELETE on audit events.

The ORM already refuses them; the trigger also stops raw SQL from an application account.
Someone with superuser rights can still bypass it, which is what `verify_audit` detects.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION marketplace_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER marketplace_auditevent_append_only
    BEFORE UPDATE OR DELETE ON marketplace_auditevent
    FOR EACH ROW EXECUTE FUNCTION marketplace_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS marketplace_auditevent_append_only ON marketplace_auditevent;
DROP FUNCTION IF EXISTS marketplace_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
