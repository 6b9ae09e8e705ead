from django.db import migrations


class Migration(migrations.Migration):
    """Tender alerts belong to tenders now: the model leaves this app's state, its table and
    rows stay where they are (tenders 0004 takes the model over with the same table)."""

    dependencies = [
        ('suppliers', '0002_registry'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TenderAlert')],
            database_operations=[],
        ),
    ]
