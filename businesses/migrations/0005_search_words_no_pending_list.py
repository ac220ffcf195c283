"""The word index without a GIN pending list (fastupdate off), so that no
search scans unmerged entries (see Business.Meta.indexes). Altered in place
rather than rebuilt; the entries already pending are merged first."""
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


def _index(**options):
    return django.contrib.postgres.indexes.GinIndex(
        models.Func(models.F('search_text'), models.Value(' '), function='string_to_array',
                    output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(),
                                                                           size=None)),
        name='businesses_search_words', **options)


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0004_search_words'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=["SELECT gin_clean_pending_list('public.businesses_search_words'::regclass)",
                         "ALTER INDEX public.businesses_search_words SET (fastupdate = off)"],
                    reverse_sql=["ALTER INDEX public.businesses_search_words RESET (fastupdate)"]),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name='business', name='businesses_search_words'),
                migrations.AddIndex(model_name='business', index=_index(fastupdate=False)),
            ],
        ),
    ]
