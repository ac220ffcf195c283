"""Regencies as tenants (issue 23): the regency code on routing rules, reports and every
row of a report (events, photos, subject, personal-data access log, supports, routing
decisions); rows of regencies other than the default take it from the desa/report."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0014_public_photos"),
        ('geo', '0006_regency_code'),  # the backfill reads the areas' and agencies' codes
    ]

    operations = [
        migrations.AddField(
            model_name='personaldataaccess',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='report',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='reportevent',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='reportphoto',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='reportsubject',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='reportsupport',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='routingdecision',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='routingrule',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.RunSQL(
            "UPDATE reports_routingrule t SET regency_code = a.regency_code FROM geo_agency a "
            "WHERE a.id = t.agency_id AND a.regency_code <> t.regency_code; "
            "UPDATE reports_report t SET regency_code = d.regency_code FROM geo_area d "
            "WHERE d.id = t.desa_id AND d.regency_code <> t.regency_code; "
            + " ".join(f"UPDATE {table} t SET regency_code = r.regency_code FROM reports_report r "
                       f"WHERE r.id = t.report_id AND r.regency_code <> t.regency_code;"
                       for table in ("reports_reportevent", "reports_reportphoto", "reports_reportsubject",
                                     "reports_personaldataaccess", "reports_reportsupport",
                                     "reports_routingdecision")),
            migrations.RunSQL.noop),
    ]
