from django.conf import settings
from django.db import migrations, models

VIEW_SQL = """
CREATE VIEW reports_public_photo AS
SELECT p.id, p.report_id, p.kind, p.image, p.content_type, p.width, p.height, p.public_approved_at
  FROM reports_reportphoto p
  JOIN reports_public_report r ON r.id = p.report_id
 WHERE p.public_approved_at IS NOT NULL;
"""


class Migration(migrations.Migration):
    """Photos on the public tracking page (issue 19), through the public
    projection: a photo is public only when a staff member of the handling
    agency has looked at it and marked it public (no face, number plate,
    house number or other personal datum in it: nothing detects those
    automatically), and only while its report is in reports_public_report
    (P0, not confidential, not rejected or merged). Every stored photo is
    already re-encoded from its pixels (no EXIF, no GPS; reports.photos).
    The view reports_public_photo holds exactly those photos; public code
    reads photos only through it (reports.models.PublicReportPhoto)."""

    dependencies = [
        ("reports", "0013_description_trigram_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="reportphoto", name="public_approved_at",
            field=models.DateTimeField(blank=True, null=True,
                                       help_text="When a staff member of the handling agency marked it public."),
        ),
        migrations.AddField(
            model_name="reportphoto", name="public_approved_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=models.SET_NULL, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(VIEW_SQL, reverse_sql="DROP VIEW reports_public_photo;"),
        migrations.CreateModel(
            name='PublicReportPhoto',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('submission', 'Foto laporan'), ('evidence', 'Bukti penyelesaian')], max_length=10)),
                ('image', models.FileField(upload_to='')),
                ('content_type', models.CharField(max_length=30)),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('public_approved_at', models.DateTimeField()),
            ],
            options={
                'db_table': 'reports_public_photo',
                'ordering': ['public_approved_at', 'id'],
                'managed': False,
            },
        ),
    ]
