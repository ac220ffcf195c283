"""One store of the filing phone's secret (issue 24): ReportDevice rows move into
reports_report.device_secret_hash (where the submission did not already store
one; both are SHA-256 of the same secret) and the table goes."""
from django.db import migrations

COPY = """
UPDATE reports_report r SET device_secret_hash = d.secret_hash
  FROM residents_reportdevice d
 WHERE d.report_id = r.id AND r.device_secret_hash = ''
"""


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_regency_code"), ("reports", "0012_device_secret_index")]

    operations = [
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(name="ReportDevice"),
    ]
