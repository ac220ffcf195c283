"""Report cells sum the public (snapped) points, as the public view
reports_public_report publishes them (issue 16): a cluster of one report is
drawn at its public point, never at the captured one. Triggers recreated and
the cells rebuilt."""
from django.db import migrations

from tiles.aggregates import DROP_TRIGGER_SQL, REBUILD_SQL, TRIGGER_SQL


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0005_report_cells_even_zooms"),
        ("reports", "0008_public_projection"),
    ]

    operations = [
        migrations.RunSQL(DROP_TRIGGER_SQL + TRIGGER_SQL + ";\n" + REBUILD_SQL, reverse_sql=migrations.RunSQL.noop),
    ]
