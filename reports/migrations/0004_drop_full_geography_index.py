from django.db import migrations


class Migration(migrations.Migration):
    """Drop the functional GiST index on (location::geography) over all
    reports (migration 0002). Its readers now use cheaper paths: the nearby
    search of open reports the partial index of 0003, duplicate candidates a
    && prefilter on the geometry index followed by the exact geodesic test.
    One GiST index fewer to maintain on every insert (the bulk import's
    largest cost after the tile aggregates)."""

    dependencies = [("reports", "0003_open_reports_agency_geography_index")]

    operations = [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS reports_report_location_geog;",
            reverse_sql="CREATE INDEX reports_report_location_geog ON reports_report "
                        "USING gist ((location::geography));",
        ),
    ]
