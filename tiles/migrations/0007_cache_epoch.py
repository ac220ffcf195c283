from django.db import migrations


class Migration(migrations.Migration):
    """The tile cache epoch (tiles.cache): a sequence, so an advance is never
    rolled back with a transaction and never waits on a lock."""

    dependencies = [("tiles", "0006_report_cells_public_points")]

    operations = [
        migrations.RunSQL("CREATE SEQUENCE IF NOT EXISTS tiles_cache_epoch START 1",
                          "DROP SEQUENCE IF EXISTS tiles_cache_epoch"),
    ]
