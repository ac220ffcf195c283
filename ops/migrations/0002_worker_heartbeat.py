from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_job_receipts")]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True)),
                ("seen_at", models.DateTimeField()),
            ],
        ),
    ]
