"""Regencies as tenants (issue 23): the regency code on areas (generated from their code),
their boundaries, parts and lookup cells, agencies and service areas (common.regency)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0005_regency_outline'),
    ]

    operations = [
        migrations.AddField(
            model_name='agency',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='area',
            name='regency_code',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Left('code', 5), help_text='Kabupaten/kota code (left(code, 5)).', output_field=models.CharField(max_length=5)),
        ),
        migrations.AddField(
            model_name='areaboundary',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='arealookupcell',
            name='regency_code',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Left('code', 5), help_text='Kabupaten/kota code (left(code, 5)).', output_field=models.CharField(max_length=5)),
        ),
        migrations.AddField(
            model_name='areapart',
            name='regency_code',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Left('code', 5), help_text='Kabupaten/kota code (left(code, 5)).', output_field=models.CharField(max_length=5)),
        ),
        migrations.AddField(
            model_name='servicearea',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='serviceareapart',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        # Boundaries of regencies loaded before this migration (geo_load_kalbar) take their area's code.
        migrations.RunSQL(
            "UPDATE geo_areaboundary b SET regency_code = a.regency_code FROM geo_area a "
            "WHERE a.id = b.area_id AND b.regency_code IS DISTINCT FROM a.regency_code",
            migrations.RunSQL.noop),
    ]
