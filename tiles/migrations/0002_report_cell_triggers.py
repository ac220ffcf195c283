"""Keep tiles_reportcell current from reports_report in the writing
transaction (statement-level triggers, see tiles/aggregates.py)."""
from django.db import migrations

from tiles.aggregates import DROP_TRIGGER_SQL, REBUILD_SQL, TRIGGER_SQL


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0001_report_cells_and_rasters"),
        ("reports", "0002_location_geography_index"),
    ]

    operations = [
        migrations.RunSQL(TRIGGER_SQL + ";\n" + REBUILD_SQL, reverse_sql=DROP_TRIGGER_SQL),
    ]
