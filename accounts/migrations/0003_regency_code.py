"""Regencies as tenants (issue 23): the regency code on this app's regency-owned rows (common.regency)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_role_requester'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='regency_code',
            field=models.CharField(db_default='61.12', editable=False, help_text='Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column).', max_length=5),
        ),
    ]
