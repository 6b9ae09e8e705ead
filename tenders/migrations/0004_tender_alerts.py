import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Tender alerts move here from the supplier registry, keeping their table and rows."""

    dependencies = [
        ('marketplace', '0002_audit_append_only_trigger'),
        ('suppliers', '0003_tender_alerts_move_to_tenders'),
        ('tenders', '0003_evaluation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TenderAlert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('matched', models.JSONField(default=list)),
                        ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='marketplace.organisation')),
                        ('tender', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenders.tender')),
                    ],
                    options={
                        'db_table': 'suppliers_tenderalert',
                        'constraints': [models.UniqueConstraint(fields=('tender', 'organisation'), name='tender_alert_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
