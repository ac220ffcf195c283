# Typo-tolerant search without a trigram comparison per matching business:
# the query's words are resolved against the dictionary of document words
# (businesses_searchword, kept here by statement triggers with transition
# tables, so a bulk import is one set-based insert), then businesses are
# matched on exact words through a GIN index on the words array. Functions
# are schema-qualified because pg_dump restores with an empty search_path.

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0003_search_document_schema_qualified'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('word', models.TextField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.AddIndex(
            model_name='business',
            index=django.contrib.postgres.indexes.GinIndex(models.Func(models.F('search_text'), models.Value(' '), function='string_to_array', output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)), name='businesses_search_words'),
        ),
        migrations.AddIndex(
            model_name='business',
            index=models.Index(fields=['name', 'id'], name='businesses_name_id'),
        ),
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION public.businesses_searchword_add() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO public.businesses_searchword (word)
              SELECT DISTINCT w FROM new_rows, unnest(string_to_array(new_rows.search_text, ' ')) AS w
               WHERE w <> ''
              ON CONFLICT DO NOTHING;
              RETURN NULL;
            END $$;
            CREATE TRIGGER businesses_searchword_insert AFTER INSERT ON public.businesses_business
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                EXECUTE FUNCTION public.businesses_searchword_add();
            CREATE TRIGGER businesses_searchword_update AFTER UPDATE ON public.businesses_business
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                EXECUTE FUNCTION public.businesses_searchword_add();
            INSERT INTO public.businesses_searchword (word)
            SELECT DISTINCT w FROM public.businesses_business, unnest(string_to_array(search_text, ' ')) AS w
             WHERE w <> ''
            ON CONFLICT DO NOTHING;
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS businesses_searchword_insert ON public.businesses_business;
            DROP TRIGGER IF EXISTS businesses_searchword_update ON public.businesses_business;
            DROP FUNCTION IF EXISTS public.businesses_searchword_add();
            """,
        ),
    ]
