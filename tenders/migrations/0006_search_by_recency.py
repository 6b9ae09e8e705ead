"""Indexes that let a newest-first search read its page in recency slices (tenders/search_order.py).

A slice is "the matches published in or after a given hour": with btree_gin (shipped with
PostgreSQL, a trusted extension), one GIN index holds the search document's words and the hour
of publication, so a slice is a single index lookup whose cost follows the tenders of those
hours, not every match of the words. Tenders without a publication time (listed first) have a
small partial index of their own. Only PostgreSQL: SQLite searches with LIKE.
"""

from django.db import migrations, transaction
from django.db.utils import OperationalError, ProgrammingError

# The expression must stay the one tenders.search_order.PUBLISHED_HOUR queries with.
CREATE_INDEXES = """
CREATE INDEX IF NOT EXISTS tender_search_hour_idx ON tenders_tender
    USING gin (search_document, (date_trunc('hour', published_at AT TIME ZONE 'UTC')));
CREATE INDEX IF NOT EXISTS tender_unpublished_idx ON tenders_tender (id) WHERE published_at IS NULL;
"""
DROP_INDEXES = """
DROP INDEX IF EXISTS tender_search_hour_idx;
DROP INDEX IF EXISTS tender_unpublished_idx;
"""


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        # In a savepoint: without the extension the slices are still right, read through the
        # words' GIN index alone (slower).
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    except (ProgrammingError, OperationalError):
        schema_editor.execute("CREATE INDEX IF NOT EXISTS tender_unpublished_idx ON tenders_tender (id) WHERE published_at IS NULL")
        return
    schema_editor.execute(CREATE_INDEXES)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEXES)


class Migration(migrations.Migration):
    dependencies = [
        ("tenders", "0005_bid_security_terms"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
