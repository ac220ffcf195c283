from django.db import migrations, models

from common.publication import PUBLIC_GRID_DEG

OPEN = "('received', 'verified', 'dispatched', 'in_progress', 'not_our_authority')"

# The RULE of the public projection (issue 16), unchanged from 0008 and now
# with the names the public outputs print (category, desa, kecamatan,
# agency). It stays the definition: the table below is this view
# materialised, and tests/reports/test_public_table.py compares the two.
RULE_SQL = f"""
CREATE VIEW reports_public_report_rule AS
SELECT r.id, r.category_id, r.status,
       ST_SnapToGrid(r.location, {PUBLIC_GRID_DEG})::geometry(Point, 4326) AS location,
       r.desa_id, r.kecamatan_id, r.agency_id,
       kr_scrub_personal(r.description) AS description,
       r.created_at, r.updated_at, r.resolved_at, r.deadline, r.supporters_count, r.is_synthetic,
       c.code AS category_code, c.name_id AS category_name,
       d.code AS desa_code, d.name AS desa_name, k.code AS kecamatan_code,
       ag.code AS agency_code, ag.name AS agency_name
  FROM reports_report r
  JOIN reports_category c ON c.id = r.category_id
  LEFT JOIN geo_area d ON d.id = r.desa_id
  LEFT JOIN geo_area k ON k.id = r.kecamatan_id
  LEFT JOIN geo_agency ag ON ag.id = r.agency_id
 WHERE c.publication_class = 'P0' AND NOT r.confidential AND r.status NOT IN ('rejected', 'merged');
"""

COLUMNS = ("category_id, status, location, desa_id, kecamatan_id, agency_id, description, created_at, updated_at, "
           "resolved_at, deadline, supporters_count, is_synthetic, category_code, category_name, desa_code, "
           "desa_name, kecamatan_code, agency_code, agency_name")
SET_ALL = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in COLUMNS.split(","))

# The table, filled in spatial order (a tile or bbox page reads neighbouring
# rows from few pages), and the triggers that keep it equal to the rule in
# the writing transaction. Statement-level with transition tables: a bulk
# import batch of 50,000 reports is one INSERT ... SELECT, not 50,000 calls.
TABLE_SQL = f"""
DROP VIEW reports_public_report;
DROP INDEX IF EXISTS reports_public_point_open;
DROP INDEX IF EXISTS reports_report_public_point;
{RULE_SQL}
CREATE TABLE reports_public_report AS SELECT * FROM reports_public_report_rule WITH NO DATA;
SET LOCAL statement_timeout = 0;
INSERT INTO reports_public_report
SELECT * FROM reports_public_report_rule ORDER BY ST_GeoHash(location, 7), id;
ALTER TABLE reports_public_report ADD PRIMARY KEY (id),
  ALTER COLUMN location SET NOT NULL, ALTER COLUMN category_id SET NOT NULL, ALTER COLUMN status SET NOT NULL;
CREATE INDEX reports_public_report_location ON reports_public_report USING gist (location);
CREATE INDEX reports_public_report_created ON reports_public_report (created_at DESC, id DESC);
CREATE INDEX reports_public_report_category ON reports_public_report (category_id, status);
ANALYZE reports_public_report;
COMMENT ON TABLE reports_public_report IS
  'The public projection of reports (issue 16): reports_public_report_rule materialised, kept equal by triggers.';

CREATE FUNCTION kr_public_report_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reports_public_report
  SELECT v.* FROM new_rows n JOIN reports_public_report_rule v ON v.id = n.id;
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_report_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reports_public_report p USING old_rows o
   WHERE p.id = o.id AND NOT EXISTS (SELECT 1 FROM reports_public_report_rule v WHERE v.id = o.id);
  INSERT INTO reports_public_report
  SELECT v.* FROM new_rows n JOIN reports_public_report_rule v ON v.id = n.id
  ON CONFLICT (id) DO UPDATE SET {SET_ALL};
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_report_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reports_public_report p USING old_rows o WHERE p.id = o.id;
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_report_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE reports_public_report;
  RETURN NULL;
END $$;

-- Rows of reports whose category, desa/kecamatan or agency changed what the
-- rule reads (publication class, code, name): taken out and put back from the rule.
CREATE FUNCTION kr_public_report_refresh(column_name text, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN RETURN; END IF;
  EXECUTE format('DELETE FROM reports_public_report WHERE %I = ANY($1)', column_name) USING ids;
  EXECUTE format('INSERT INTO reports_public_report SELECT * FROM reports_public_report_rule WHERE %I = ANY($1)',
                 column_name) USING ids;
END $$;

CREATE FUNCTION kr_public_report_category_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kr_public_report_refresh('category_id', ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.publication_class, n.code, n.name_id) IS DISTINCT FROM (o.publication_class, o.code, o.name_id)));
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_report_area_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed bigint[] := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                             WHERE (n.code, n.name) IS DISTINCT FROM (o.code, o.name));
BEGIN
  PERFORM kr_public_report_refresh('desa_id', changed);
  PERFORM kr_public_report_refresh('kecamatan_id', changed);
  RETURN NULL;
END $$;

CREATE FUNCTION kr_public_report_agency_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kr_public_report_refresh('agency_id', ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.code, n.name) IS DISTINCT FROM (o.code, o.name)));
  RETURN NULL;
END $$;

CREATE TRIGGER public_report_ins AFTER INSERT ON reports_report
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kr_public_report_inserted();
CREATE TRIGGER public_report_upd AFTER UPDATE ON reports_report
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kr_public_report_updated();
CREATE TRIGGER public_report_del AFTER DELETE ON reports_report
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kr_public_report_deleted();
CREATE TRIGGER public_report_trunc AFTER TRUNCATE ON reports_report
  FOR EACH STATEMENT EXECUTE FUNCTION kr_public_report_truncated();
CREATE TRIGGER public_report_category AFTER UPDATE ON reports_category
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kr_public_report_category_changed();
CREATE TRIGGER public_report_area AFTER UPDATE ON geo_area
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kr_public_report_area_changed();
CREATE TRIGGER public_report_agency AFTER UPDATE ON geo_agency
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION kr_public_report_agency_changed();
"""

REVERSE_SQL = f"""
DROP TRIGGER public_report_ins ON reports_report;
DROP TRIGGER public_report_upd ON reports_report;
DROP TRIGGER public_report_del ON reports_report;
DROP TRIGGER public_report_trunc ON reports_report;
DROP TRIGGER public_report_category ON reports_category;
DROP TRIGGER public_report_area ON geo_area;
DROP TRIGGER public_report_agency ON geo_agency;
DROP FUNCTION kr_public_report_inserted(), kr_public_report_updated(), kr_public_report_deleted(),
  kr_public_report_truncated(), kr_public_report_category_changed(), kr_public_report_area_changed(),
  kr_public_report_agency_changed(), kr_public_report_refresh(text, bigint[]);
DROP TABLE reports_public_report;
DROP VIEW reports_public_report_rule;
CREATE VIEW reports_public_report AS
SELECT r.id, r.category_id, r.status,
       ST_SnapToGrid(r.location, {PUBLIC_GRID_DEG}) AS location,
       r.desa_id, r.kecamatan_id, r.agency_id,
       kr_scrub_personal(r.description) AS description,
       r.created_at, r.updated_at, r.resolved_at, r.deadline, r.supporters_count, r.is_synthetic
  FROM reports_report r
  JOIN reports_category c ON c.id = r.category_id
 WHERE c.publication_class = 'P0' AND NOT r.confidential AND r.status NOT IN ('rejected', 'merged');
CREATE INDEX reports_public_point_open ON reports_report
 USING gist (category_id, ST_SnapToGrid(location, {PUBLIC_GRID_DEG})) WHERE status IN {OPEN};
CREATE INDEX reports_report_public_point ON reports_report
 USING gist (ST_SnapToGrid(location, {PUBLIC_GRID_DEG}::double precision));
"""


class Migration(migrations.Migration):
    """The public projection of reports stored flat (issue 25): the table
    `reports_public_report` holds exactly the rows and columns of the rule
    (the view `reports_public_report_rule`: P0, not confidential, not
    rejected or merged; snapped point; scrubbed description) plus the
    category, desa, kecamatan and agency names the public outputs print, so
    an OGC page or a point tile reads one indexed table, with no join and no
    ST_SnapToGrid per row. Triggers on reports_report, reports_category,
    geo_area and geo_agency keep it equal to the rule in the writing
    transaction. The expression indexes on reports_report that served the
    view (0008, 0009) are not needed any more: the table's own GiST index
    serves bbox, tile and duplicate-candidate queries."""

    dependencies = [("reports", "0010_open_reports_queue_indexes")]

    operations = [
        migrations.RunSQL(TABLE_SQL, reverse_sql=REVERSE_SQL),
        *[migrations.AddField(model_name="publicreport", name=name,
                              field=models.CharField(max_length=length, null=True))
          for name, length in (("category_code", 50), ("category_name", 150), ("desa_code", 40),
                               ("desa_name", 100), ("kecamatan_code", 40), ("agency_code", 50),
                               ("agency_name", 200))],
    ]
