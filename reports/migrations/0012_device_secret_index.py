"""Report.device_secret_hash becomes the one store of the filing phone's secret
(residents.ReportDevice is merged into it, residents 0002): index the phone's
lookup of its own reports."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reports", "0011_public_report_table")]

    operations = [
        migrations.AlterField(
            model_name="report", name="device_secret_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64,
                                   help_text="SHA-256 of the device secret sent with the submission: the one store "
                                             "of the filing phone (retries; following, confirming and disputing "
                                             "without an account)."),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(condition=models.Q(("device_secret_hash", ""), _negated=True),
                               fields=["device_secret_hash"], name="reports_device_secret"),
        ),
    ]
