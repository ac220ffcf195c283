# The search-text function calls businesses_normalise without a schema. pg_dump
# restores with search_path = '' and PostgreSQL inlines SQL functions while it
# recreates the generated column, so every restore of a backup failed with
# "function businesses_normalise(text) does not exist" (found by
# tests/ops/test_backup.py). Qualifying the call with public. fixes restores; the
# function's result is unchanged, so no stored search_text changes.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("businesses", "0002_seed_kbli_2020")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE OR REPLACE FUNCTION businesses_search_document(name text, products text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT public.businesses_normalise(coalesce(name, '') || ' ' || coalesce(products, ''))
            $$;
            """,
            reverse_sql="""
            CREATE OR REPLACE FUNCTION businesses_search_document(name text, products text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT businesses_normalise(coalesce(name, '') || ' ' || coalesce(products, ''))
            $$;
            """,
        ),
    ]
