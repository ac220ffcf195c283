"""Regencies as tenants (issue 23): the regency code on this app's regency-owned rows (common.regency)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("datasets", "0003_public_projection"),
    ]

    operations = [
        migrations.AddField(
            model_name='dataset',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='datasetfeature',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='datasetfield',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='datasetversion',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='refreshreminder',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
    ]
