"""Report cells stored from zoom 6 only (tiles/aggregates.py): the triggers
now group the change at zoom 12 and count it in the parents at zooms 6-12;
the tiles of zooms 0-5 group the zoom-6 cells when read, so their rows go.
The zoom 6-12 rows are the same under both triggers and are kept."""
from django.db import migrations

from tiles.aggregates import CELL_MIN_ZOOM, DROP_TRIGGER_SQL, TRIGGER_SQL


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0002_report_cell_triggers"),
    ]

    operations = [
        # Not reversible to the old layout: the old trigger is not kept in the code.
        migrations.RunSQL(DROP_TRIGGER_SQL + TRIGGER_SQL
                          + f";\nDELETE FROM tiles_reportcell WHERE z < {CELL_MIN_ZOOM:d}",
                          reverse_sql=migrations.RunSQL.noop),
    ]
