from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=100)),
                ("key", models.CharField(max_length=200, unique=True)),
                ("payload", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField()),
                ("due_at", models.DateTimeField()),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "db_table": "outbox_message",
                "indexes": [models.Index(condition=models.Q(("delivered_at__isnull", True)), fields=["due_at"],
                                         name="outbox_pending_due")],
            },
        ),
    ]
