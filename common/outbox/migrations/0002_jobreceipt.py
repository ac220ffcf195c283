"""JobReceipt moves from ops to the outbox app (common), next to common.jobs.job_once
which uses it: apps import downwards only (issue 24). State only; the table stays
ops_jobreceipt."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial"), ("ops", "0002_worker_heartbeat")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="JobReceipt",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                               verbose_name="ID")),
                    ("key", models.CharField(max_length=200, unique=True)),
                    ("task", models.CharField(max_length=100)),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                    ("done_at", models.DateTimeField(blank=True, null=True)),
                    ("attempts", models.PositiveIntegerField(default=0)),
                    ("last_error", models.TextField(blank=True)),
                ],
                options={"db_table": "ops_jobreceipt"},
            ),
        ]),
    ]
