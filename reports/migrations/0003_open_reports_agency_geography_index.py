from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The field crews' nearby search (reports.selectors.reports_nearby) at
    1,000,000 reports: a GiST index on (agency_id, location::geography) over
    open reports only.

    agency_id leads (btree_gist) so that a KNN walk (<->) for one agency
    touches only that agency's reports; the partial predicate keeps the ~80 %
    closed reports out of it (the index is a fifth of the full geography
    index, and bulk loads of old, closed reports do not maintain it). The
    predicate must match the query's status clause word for word."""

    dependencies = [("reports", "0002_location_geography_index")]

    operations = [
        BtreeGistExtension(),
        migrations.RunSQL(
            "CREATE INDEX reports_open_agency_geog ON reports_report "
            "USING gist (agency_id, (location::geography)) "
            "WHERE status NOT IN ('resolved', 'rejected', 'merged');",
            reverse_sql="DROP INDEX reports_open_agency_geog;",
        ),
    ]
