"""The public points of reports for map tiles (issue 25): the table
`reports_public_point`, a narrow copy of the public projection
(reports_public_report, migration 0011) holding what a point tile reads:
the id, the public point stored in Web Mercator (as a geometry for the GiST
index, and as x and y for arithmetic), the tile's attributes and
the fields its filters compare (category, status, created_at). Statement
triggers on reports_public_report keep it equal in the writing transaction,
so it publishes nothing the projection does not.

Why a copy: a z14 tile reads ~6,000 rows, and the backend spent half its CPU
on the projection's wide rows (the scrubbed description, names, dates) and
on transforming each point; from this table, placing each point by
arithmetic on the stored Web Mercator point, a tile costs about half
(docs/benchmarks.md, issue 25). The table is kept in spatial order by
CLUSTER (here, after a bulk import, and as periodic maintenance): in arrival
order a dense tile's rows sit on 40x more pages."""
from django.db import migrations

SQL = """
SET LOCAL statement_timeout = 0;
CREATE TABLE reports_public_point (
  id uuid PRIMARY KEY,
  location_3857 geometry(Point, 3857) NOT NULL,
  x double precision NOT NULL,
  y double precision NOT NULL,
  category_code varchar(50),
  category_name varchar(150),
  status varchar(20) NOT NULL,
  supporters_count integer,
  created_at timestamptz
);
INSERT INTO reports_public_point
SELECT id, m, ST_X(m), ST_Y(m), category_code, category_name, status, supporters_count, created_at
  FROM (SELECT *, ST_Transform(location, 3857) AS m FROM reports_public_report) AS r;
CREATE INDEX reports_public_point_location_3857 ON reports_public_point USING gist (location_3857);
-- Spatial order: a tile's rows on few pages. Rows that arrive later are
-- appended; CLUSTER reports_public_point (this index is remembered) puts
-- them back in order (7 s at 711,949 rows on a loaded 2-core machine).
CREATE INDEX reports_public_point_order ON reports_public_point (ST_GeoHash(ST_Transform(location_3857, 4326), 8));
CLUSTER reports_public_point USING reports_public_point_order;
ANALYZE reports_public_point;
COMMENT ON TABLE reports_public_point IS
  'Public report points in EPSG:3857 for map tiles: a narrow copy of reports_public_report kept by triggers.';

CREATE FUNCTION kr_public_point_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reports_public_point
  SELECT n.id, n.m, ST_X(n.m), ST_Y(n.m), n.category_code, n.category_name, n.status, n.supporters_count,
         n.created_at FROM (SELECT *, ST_Transform(location, 3857) AS m FROM new_rows) AS n;
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_point_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reports_public_point p USING old_rows o WHERE p.id = o.id;
  INSERT INTO reports_public_point
  SELECT n.id, n.m, ST_X(n.m), ST_Y(n.m), n.category_code, n.category_name, n.status, n.supporters_count,
         n.created_at FROM (SELECT *, ST_Transform(location, 3857) AS m FROM new_rows) AS n
  ON CONFLICT (id) DO UPDATE SET location_3857 = EXCLUDED.location_3857, x = EXCLUDED.x, y = EXCLUDED.y,
    category_code = EXCLUDED.category_code,
    category_name = EXCLUDED.category_name, status = EXCLUDED.status,
    supporters_count = EXCLUDED.supporters_count, created_at = EXCLUDED.created_at;
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_point_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reports_public_point p USING old_rows o WHERE p.id = o.id;
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_point_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE reports_public_point;
  RETURN NULL;
END $$;

CREATE TRIGGER public_point_ins AFTER INSERT ON reports_public_report
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kr_public_point_inserted();
CREATE TRIGGER public_point_upd AFTER UPDATE ON reports_public_report
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kr_public_point_updated();
CREATE TRIGGER public_point_del AFTER DELETE ON reports_public_report
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kr_public_point_deleted();
CREATE TRIGGER public_point_trunc AFTER TRUNCATE ON reports_public_report
  FOR EACH STATEMENT EXECUTE FUNCTION kr_public_point_truncated();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS public_point_ins ON reports_public_report;
DROP TRIGGER IF EXISTS public_point_upd ON reports_public_report;
DROP TRIGGER IF EXISTS public_point_del ON reports_public_report;
DROP TRIGGER IF EXISTS public_point_trunc ON reports_public_report;
DROP FUNCTION IF EXISTS kr_public_point_inserted, kr_public_point_updated, kr_public_point_deleted,
  kr_public_point_truncated;
DROP TABLE IF EXISTS reports_public_point;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0015_regency_code"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
