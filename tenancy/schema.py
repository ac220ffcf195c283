"""A province-scale, reports-like schema distributed by regency code.

Tables (all prefixed prov_, created in a database of their own: the bench's, the
Citus tests' or the Citus cluster's; the project's own tables are untouched):

- reference (copied to every node): prov_regency, prov_regency_part (the
  regency outlines subdivided for "which regency is this point in"),
  prov_category, prov_holiday, prov_dashboard (the province view, computed ahead);
- distributed by regency_code and co-located: prov_desa, prov_desa_part,
  prov_routing_rule, prov_report, prov_report_event. A report, its events, its
  desa and its routing rule live in the same shard, so every join stays local.

Distribution goes through common.citus.distribute: a no-op on one PostgreSQL.
"""
from common.citus import distribute

DDL = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS prov_regency (
    code text PRIMARY KEY,
    name text NOT NULL,
    area_km2 double precision NOT NULL,
    outline geometry(MultiPolygon, 4326) NOT NULL
);
CREATE TABLE IF NOT EXISTS prov_regency_part (
    id serial PRIMARY KEY,
    regency_code text NOT NULL,
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS prov_regency_part_geom ON prov_regency_part USING gist (geom);
CREATE TABLE IF NOT EXISTS prov_category (
    id integer PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    default_agency text NOT NULL
);
CREATE TABLE IF NOT EXISTS prov_holiday (
    day date PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE IF NOT EXISTS prov_dashboard (
    regency_code text NOT NULL,
    status text NOT NULL,
    reports bigint NOT NULL,
    refreshed_at timestamptz NOT NULL,
    PRIMARY KEY (regency_code, status)
);
CREATE TABLE IF NOT EXISTS prov_desa (
    regency_code text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    area_km2 double precision,
    PRIMARY KEY (regency_code, code)
);
CREATE TABLE IF NOT EXISTS prov_desa_part (
    regency_code text NOT NULL,
    id bigserial,
    desa_code text NOT NULL,
    geom geometry(Polygon, 4326) NOT NULL,
    PRIMARY KEY (regency_code, id)
);
CREATE INDEX IF NOT EXISTS prov_desa_part_geom ON prov_desa_part USING gist (geom);
CREATE TABLE IF NOT EXISTS prov_routing_rule (
    regency_code text NOT NULL,
    category_id integer NOT NULL,
    agency text NOT NULL,
    PRIMARY KEY (regency_code, category_id)
);
CREATE TABLE IF NOT EXISTS prov_report (
    regency_code text NOT NULL,
    id bigserial,
    tracking_code text NOT NULL,
    category_id integer NOT NULL,
    desa_code text,
    agency text,
    status text NOT NULL DEFAULT 'baru',
    description text NOT NULL DEFAULT '',
    location geometry(Point, 4326) NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (regency_code, id),
    UNIQUE (regency_code, tracking_code)
);
CREATE INDEX IF NOT EXISTS prov_report_location ON prov_report USING gist (location);
CREATE INDEX IF NOT EXISTS prov_report_queue ON prov_report (regency_code, agency, status, created_at);
CREATE TABLE IF NOT EXISTS prov_report_event (
    regency_code text NOT NULL,
    id bigserial,
    report_id bigint NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (regency_code, id)
);
CREATE INDEX IF NOT EXISTS prov_report_event_report ON prov_report_event (regency_code, report_id, at);
"""

REFERENCE = ["prov_regency", "prov_regency_part", "prov_category", "prov_holiday", "prov_dashboard"]
DISTRIBUTED = [
    ("prov_desa", "regency_code", None),
    ("prov_desa_part", "regency_code", "prov_desa"),
    ("prov_routing_rule", "regency_code", "prov_desa"),
    ("prov_report", "regency_code", "prov_desa"),
    ("prov_report_event", "regency_code", "prov_desa"),
]
TABLES = REFERENCE + [t for t, _, _ in DISTRIBUTED]

# Foreign keys are added after distribution (Citus cannot distribute a table that
# a local table references); the same constraints hold on one PostgreSQL.
FOREIGN_KEYS = [
    ("prov_regency_part", "prov_regency_part_regency_fk", "(regency_code) REFERENCES prov_regency (code)"),
    ("prov_routing_rule", "prov_routing_rule_category_fk", "(category_id) REFERENCES prov_category (id)"),
    ("prov_report", "prov_report_category_fk", "(category_id) REFERENCES prov_category (id)"),
    ("prov_report_event", "prov_report_event_report_fk",
     "(regency_code, report_id) REFERENCES prov_report (regency_code, id)"),
]


def create(conn, *, shard_count: int | None = None) -> list[str]:
    """Create the schema (idempotent) and distribute it when Citus is present."""
    with conn.cursor() as cur:
        cur.execute(DDL)
        if shard_count:
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            if cur.fetchone():
                cur.execute(f"SET citus.shard_count = {int(shard_count)}")
        done = distribute(cur, reference=REFERENCE, distributed=DISTRIBUTED)
        for table, name, definition in FOREIGN_KEYS:
            cur.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY {definition}")
    conn.commit()
    return done


def drop(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS " + ", ".join(reversed(TABLES)) + " CASCADE")
    conn.commit()
