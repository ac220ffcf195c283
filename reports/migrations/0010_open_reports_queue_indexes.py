from django.db import migrations


class Migration(migrations.Migration):
    """The agency queue page (/kerja/, portal.workspace) at 1,000,000 reports:
    open reports only, overdue ones by deadline, then the rest newest first,
    a page at a time (keyset). Two partial btree indexes over open reports
    (agency_id leading; NULL agency = the coordinator's triage) serve both
    orders without sorting the agency's reports. The predicate matches the
    ORM's exclude(status__in=CLOSED_STATUSES). A third, full, index serves one
    status newest first (closed ones: an agency's resolved reports are most of
    its history): 0.36 s -> a few ms for PUPR's first page of "Selesai"."""

    dependencies = [("reports", "0009_public_point_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX reports_open_agency_deadline ON reports_report (agency_id, deadline, id) "
            "WHERE status NOT IN ('resolved', 'rejected', 'merged');",
            reverse_sql="DROP INDEX reports_open_agency_deadline;",
        ),
        migrations.RunSQL(
            "CREATE INDEX reports_open_agency_created ON reports_report (agency_id, created_at DESC, id DESC) "
            "WHERE status NOT IN ('resolved', 'rejected', 'merged');",
            reverse_sql="DROP INDEX reports_open_agency_created;",
        ),
        migrations.RunSQL(
            "CREATE INDEX reports_agency_status_created ON reports_report (agency_id, status, created_at DESC, id DESC);",
            reverse_sql="DROP INDEX reports_agency_status_created;",
        ),
    ]
