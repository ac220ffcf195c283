import django.contrib.gis.db.models.fields
from django.db import migrations, models

from common.publication import PUBLIC_GRID_DEG
from common.scrub import SCRUB_FUNCTION_SQL

OPEN = "('received', 'verified', 'dispatched', 'in_progress', 'not_our_authority')"

VIEW_SQL = f"""
CREATE VIEW reports_public_report AS
SELECT r.id, r.category_id, r.status,
       ST_SnapToGrid(r.location, {PUBLIC_GRID_DEG}) AS location,
       r.desa_id, r.kecamatan_id, r.agency_id,
       kr_scrub_personal(r.description) AS description,
       r.created_at, r.updated_at, r.resolved_at, r.deadline, r.supporters_count, r.is_synthetic
  FROM reports_report r
  JOIN reports_category c ON c.id = r.category_id
 WHERE c.publication_class = 'P0' AND NOT r.confidential AND r.status NOT IN ('rejected', 'merged');
CREATE INDEX reports_public_point_open ON reports_report
 USING gist (category_id, ST_SnapToGrid(location, {PUBLIC_GRID_DEG})) WHERE status IN {OPEN};
"""


class Migration(migrations.Migration):
    """The one public projection of reports (issue 16): a view holding only the
    rows and columns the public may see (P0, not confidential, not rejected or
    merged; the point snapped to the public grid; the description scrubbed of
    personal data; no tracking code, reporter, channel or accuracy). Public
    code reads reports only through it (reports.models.PublicReport). An
    expression index serves the public duplicate candidates on the snapped
    point. device_secret_hash lets an anonymous retry prove it is the same
    device (reports.services.report_submit)."""

    dependencies = [("reports", "0007_description_4000_characters")]

    operations = [
        migrations.RunSQL(SCRUB_FUNCTION_SQL + VIEW_SQL,
                          reverse_sql="DROP INDEX reports_public_point_open; DROP VIEW reports_public_report;"
                                      " DROP FUNCTION kr_scrub_personal(text);"),
        migrations.AddField(
            model_name="report", name="device_secret_hash",
            field=models.CharField(blank=True, default="", db_default="", max_length=64,
                                   help_text="SHA-256 of the anonymous device secret sent with the submission."),
        ),
        migrations.CreateModel(
            name='PublicReport',
            fields=[
                ('id', models.UUIDField(primary_key=True, serialize=False)),
                ('status', models.CharField(choices=[('received', 'Diterima'), ('verified', 'Diverifikasi'), ('dispatched', 'Didisposisi'), ('in_progress', 'Diproses'), ('resolved', 'Selesai'), ('rejected', 'Ditolak'), ('not_our_authority', 'Bukan wewenang'), ('merged', 'Digabung')], max_length=20)),
                ('location', django.contrib.gis.db.models.fields.PointField(srid=4326)),
                ('description', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('resolved_at', models.DateTimeField(null=True)),
                ('deadline', models.DateField()),
                ('supporters_count', models.PositiveIntegerField()),
                ('is_synthetic', models.BooleanField()),
            ],
            options={
                'db_table': 'reports_public_report',
                'ordering': ['-created_at'],
                'managed': False,
            },
        ),
    ]
