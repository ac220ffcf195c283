from django.db import migrations

PUBLIC = "status = 'active' AND verification_status = 'verified' AND listing_public"


class Migration(migrations.Migration):
    """The search dictionary (SearchWord) holds only words of public
    businesses (issue 16). Typos are resolved against it before businesses
    are matched, so a word known only from a pending, rejected or unlisted
    business changed how a query was expanded and ranked: a side channel on
    what non-public businesses are called. The trigger now adds the words of
    a row once it is public (its verification or listing consent is an
    UPDATE, which fires it), and the dictionary is rebuilt from the public
    rows. Words of a business that stops being public stay (they were
    public)."""

    dependencies = [("businesses", "0006_public_projection")]

    operations = [
        migrations.RunSQL(
            sql=f"""
            CREATE OR REPLACE FUNCTION public.businesses_searchword_add() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO public.businesses_searchword (word)
              SELECT DISTINCT w FROM new_rows, unnest(string_to_array(new_rows.search_text, ' ')) AS w
               WHERE w <> '' AND new_rows.{PUBLIC.replace(" AND ", " AND new_rows.")}
              ON CONFLICT DO NOTHING;
              RETURN NULL;
            END $$;
            DELETE FROM public.businesses_searchword;
            INSERT INTO public.businesses_searchword (word)
            SELECT DISTINCT w FROM public.businesses_business, unnest(string_to_array(search_text, ' ')) AS w
             WHERE w <> '' AND {PUBLIC}
            ON CONFLICT DO NOTHING;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
