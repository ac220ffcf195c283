from django.db import migrations

from common.publication import PUBLIC_GRID_DEG


class Migration(migrations.Migration):
    """A GiST index on the public (snapped) point of every report, the
    expression reports_public_report publishes as `location`: a bbox or tile
    query on the public projection reaches its rows through it. Without it,
    OGC items of the reports layer at 1,000,000 reports ran past the statement
    timeout (a sequential scan computing ST_SnapToGrid for every row); with
    it, a 1,000-feature bbox page took 1.2 s and an uncached z14 tile 0.66 s
    in-process on a loaded 2-core machine (docs/benchmarks.md)."""

    atomic = False
    dependencies = [("reports", "0008_public_projection")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_report_public_point ON reports_report "
            f"USING gist (ST_SnapToGrid(location, {PUBLIC_GRID_DEG}::double precision))",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS reports_report_public_point"),
    ]
