"""The database keeps the ledger balanced and append-only, whatever code writes to it.

- A transaction can be marked posted only while its entries sum to zero in every currency
  (and it has entries); once posted it cannot be unposted, changed or deleted.
- No entry can be added to a posted transaction, and no entry can be changed or deleted.

`payments.ledger.post` inserts the transaction, then its entries, then marks it posted, so a
posting that slips past its own check is refused here, on SQLite and PostgreSQL alike. Deleting
posted rows is refused on PostgreSQL only: Django empties SQLite tables with DELETE between
tests (PostgreSQL with TRUNCATE, which row triggers do not see), and `manage.py reconcile`
re-checks the balance of every transaction on both.
"""

from django.db import migrations

UNBALANCED = (
    "NOT EXISTS (SELECT 1 FROM payments_ledgerentry e WHERE e.transaction_id = NEW.id)"
    " OR EXISTS (SELECT 1 FROM payments_ledgerentry e WHERE e.transaction_id = NEW.id"
    " GROUP BY e.currency HAVING SUM(e.amount_minor) <> 0)"
)

SQLITE = [
    f"""CREATE TRIGGER payments_ledger_post_balanced BEFORE UPDATE OF posted ON payments_ledgertransaction
    WHEN NEW.posted AND NOT OLD.posted AND ({UNBALANCED})
    BEGIN SELECT RAISE(ABORT, 'ledger transaction does not balance'); END""",
    """CREATE TRIGGER payments_ledger_transaction_frozen BEFORE UPDATE ON payments_ledgertransaction
    WHEN OLD.posted
    BEGIN SELECT RAISE(ABORT, 'a posted ledger transaction cannot change'); END""",
    """CREATE TRIGGER payments_ledger_entry_closed BEFORE INSERT ON payments_ledgerentry
    WHEN (SELECT posted FROM payments_ledgertransaction WHERE id = NEW.transaction_id)
    BEGIN SELECT RAISE(ABORT, 'no entry can be added to a posted ledger transaction'); END""",
    """CREATE TRIGGER payments_ledger_entry_frozen BEFORE UPDATE ON payments_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'ledger entries cannot change'); END""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "payments_ledger_post_balanced",
        "payments_ledger_transaction_frozen",
        "payments_ledger_entry_closed",
        "payments_ledger_entry_frozen",
    )
]

POSTGRES = [
    f"""CREATE FUNCTION payments_ledger_transaction_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.posted THEN RAISE EXCEPTION 'a posted ledger transaction cannot be deleted'; END IF;
            RETURN OLD;
        END IF;
        IF OLD.posted THEN RAISE EXCEPTION 'a posted ledger transaction cannot change'; END IF;
        IF NEW.posted AND ({UNBALANCED}) THEN RAISE EXCEPTION 'ledger transaction does not balance'; END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER payments_ledger_transaction_guard BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_guard()""",
    """CREATE FUNCTION payments_ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF (SELECT posted FROM payments_ledgertransaction WHERE id = NEW.transaction_id) THEN
                RAISE EXCEPTION 'no entry can be added to a posted ledger transaction';
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'ledger entries cannot change'; END IF;
        IF (SELECT posted FROM payments_ledgertransaction WHERE id = OLD.transaction_id) THEN
            RAISE EXCEPTION 'ledger entries cannot be deleted';
        END IF;
        RETURN OLD;
    END $$""",
    """CREATE TRIGGER payments_ledger_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_entry_guard()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS payments_ledger_entry_guard ON payments_ledgerentry",
    "DROP FUNCTION IF EXISTS payments_ledger_entry_guard()",
    "DROP TRIGGER IF EXISTS payments_ledger_transaction_guard ON payments_ledgertransaction",
    "DROP FUNCTION IF EXISTS payments_ledger_transaction_guard()",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
