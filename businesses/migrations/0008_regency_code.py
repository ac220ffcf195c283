"""Regencies as tenants (issue 23): the regency code on this app's regency-owned rows (common.regency)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("businesses", "0007_search_words_public_only"),
    ]

    operations = [
        migrations.AddField(
            model_name='business',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='businessaudit',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='businessconsent',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='businessfinancials',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='businessphoto',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
        migrations.AddField(
            model_name='certificate',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
    ]
