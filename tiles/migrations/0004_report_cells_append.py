"""Report cells are appended, not updated in place (tiles/aggregates.py):
the unique key becomes a plain index and the triggers insert each change as
new rows; tiles_cells_compact folds them. The existing rows (one per cell)
are valid under both."""
from django.db import migrations, models

from tiles.aggregates import DROP_TRIGGER_SQL, TRIGGER_SQL


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0003_report_cells_from_zoom_6"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="reportcell", name="tiles_reportcell_key"),
        migrations.AddIndex(
            model_name="reportcell",
            index=models.Index(fields=["z", "cx", "cy", "category_id", "status", "confidential"],
                               name="tiles_reportcell_cell"),
        ),
        # Not reversible to the upserting triggers: they are not kept in the code.
        migrations.RunSQL(DROP_TRIGGER_SQL + TRIGGER_SQL, reverse_sql=migrations.RunSQL.noop),
    ]
