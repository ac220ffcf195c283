from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Text search of the agency queue (/kerja/?q=, portal.workspace) at
    1,000,000 reports: a pg_trgm GIN index on UPPER(description), the
    expression of the ORM's `description__icontains`, so that a word few
    reports contain is found from the index instead of by reading every open
    report of the agency (docs/benchmarks.md, "Workspaces"). A common word
    still walks the queue's own order index and stops at the first page
    (portal.workspace chooses; EXPLAIN ANALYZE in the benchmark notes)."""

    atomic = False
    dependencies = [("reports", "0012_device_secret_index")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS reports_description_trgm ON reports_report "
            "USING gin (UPPER(description) gin_trgm_ops)",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS reports_description_trgm"),
    ]
