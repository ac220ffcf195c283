from django.db import migrations


class Migration(migrations.Migration):
    """A functional GiST index on (location::geography): metric radius queries
    (ST_DWithin in metres) and KNN ordering (<->) on geography use it, while
    the column stays a 4326 geometry for tiles and && prefilters."""

    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX reports_report_location_geog ON reports_report USING gist ((location::geography));",
            reverse_sql="DROP INDEX reports_report_location_geog;",
        ),
    ]
