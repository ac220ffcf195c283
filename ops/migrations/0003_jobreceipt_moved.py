"""JobReceipt now belongs to the outbox app (common.outbox.models); state only,
the table ops_jobreceipt stays."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_worker_heartbeat"), ("outbox", "0002_jobreceipt")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="JobReceipt")]),
    ]
