"""The project's own tables on Citus: distributed by regency, or reference tables.

Run by `manage.py citus_distribute` after `migrate` (scripts/citus.sh users:
`make citus`, scripts/citus-suite.sh); on one PostgreSQL it does nothing, so the
models, the migrations and plain-PostgreSQL behaviour are unchanged. The
database is rewritten, never the Django state: Django keeps `id` as the primary
key it knows, Citus gets the constraints it needs.

The plan (docs/scaling.md, "The Django tables on Citus"):

- DISTRIBUTED, by `regency_code`, in the co-location group of reports_report: a
  report and every row that takes its regency from the report (events, photos,
  the reported person, supports, routing decisions, the personal-data access
  log, the residents' follows, device supports and fix confirmations). A report
  and its rows are one shard group on one worker.
- REFERENCE (a copy on every node, so a distributed query joins them on the
  worker): users, the boundaries of the province and their lookup tables,
  agencies and service areas, categories, routing rules.
- Every other table with a foreign key stays on the coordinator as a Citus local
  table (businesses, datasets, PPID registers, announcements, memberships,
  sessions, ...): joins with reference tables stay local; tables without
  foreign keys stay plain PostgreSQL tables.

What Citus requires and how it is met:

- The distribution column in every primary key and unique constraint of a
  distributed table: `PRIMARY KEY (id)` -> `(id, regency_code)`,
  `UNIQUE (tracking_code)` -> `(tracking_code, regency_code)` (so uniqueness
  is per regency; tracking codes are random, the application never relied on
  the database for a collision across regencies).
- Foreign keys between distributed tables on the distribution column:
  `(report_id) -> reports_report(id)` becomes `(regency_code, report_id) ->
  (regency_code, id)` (the child takes its regency from its report, so the
  composite key also says "same regency"). A merge target must then be in the
  same regency as the merged report (a coordinator merges in their regency).
- No foreign key from a Citus local table to a distributed one: those (an
  announcement's source report, a subscription's report, a delivery's report
  event) are dropped on Citus; Django never relied on the database for them
  (it emulates ON DELETE itself), the application keeps them.
- No statement triggers with transition tables on distributed tables (Citus runs
  triggers on the shards, where they cannot write another distributed table
  safely): the public projection reports_public_report, a table kept by
  triggers on one PostgreSQL, becomes a view of its rule
  (reports_public_report_rule, the same SQL the triggers copy from, plus the
  report's regency_code so a regency's public read is routed to one shard), its
  tiles' narrow copy reports_public_point a view of it in Web Mercator, and
  the tiles' report cells tiles_reportcell a view of the same aggregate the
  cells' rebuild computes, grouped by regency_code too (a cluster tile at z 9-12
  names its regencies, tiles.aggregates.cells_sql; below z 9 it fans out, by
  design). The compaction
  job has nothing to compact there.
- Functions used by those views run on the workers: distributed with
  create_distributed_function.
- Sessions need custom plans (DB_PLAN_CACHE_MODE=force_custom_plan, set by the
  Citus scripts): Citus routes a statement to a shard by its parameters' values,
  which a generic plan does not see. Local execution on the coordinator is off
  for the database (below).

Idempotent: once reports_report is distributed, nothing is done again.
"""
from __future__ import annotations

from collections.abc import Iterable

from common.citus import citus_present
from tiles.aggregates import CELLS_BY_REGENCY_COLUMNS, CELLS_BY_REGENCY_SQL

COLUMN = "regency_code"
ANCHOR = "reports_report"
DISTRIBUTED = (
    ANCHOR,
    "reports_reportphoto",
    "reports_reportevent",
    "reports_reportsubject",
    "reports_reportsupport",
    "reports_routingdecision",
    "reports_personaldataaccess",
    "residents_follow",
    "residents_devicesupport",
    "residents_fixconfirmation",
)
REFERENCE = (
    "auth_user",
    "geo_edition",
    "geo_area",
    "geo_areaboundary",
    "geo_areapart",
    "geo_arealookupcell",
    "geo_regencyoutline",
    "geo_agency",
    "geo_servicearea",
    "geo_serviceareapart",
    "reports_category",
    "reports_routingrule",
)
# Kept by triggers on one PostgreSQL; views on Citus (module docstring).
PROJECTION_TRIGGERS = {
    "reports_report": ("public_report_ins", "public_report_upd", "public_report_del", "public_report_trunc",
                       "tiles_reportcell_insert", "tiles_reportcell_update", "tiles_reportcell_delete"),
    "reports_category": ("public_report_category",),
    "geo_area": ("public_report_area",),
    "geo_agency": ("public_report_agency",),
}
# Functions the distributed queries (the views above) call on the workers.
FUNCTIONS = ("kr_scrub_personal(text)",)


def _one(cursor, sql: str, params: Iterable = ()):
    cursor.execute(sql, list(params))
    row = cursor.fetchone()
    return row[0] if row else None


def is_distributed(cursor, table: str = ANCHOR) -> bool:
    return bool(_one(cursor, "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = to_regclass(%s)"
                     " AND partmethod = 'h'", [table]))


def _foreign_keys(cursor) -> list[dict]:
    cursor.execute("""
        SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
               pg_get_constraintdef(c.oid)
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE c.contype = 'f' AND n.nspname = 'public'
         ORDER BY 2, 1""")
    return [{"name": r[0], "child": r[1], "parent": r[2], "cols": r[3], "pcols": r[4], "definition": r[5]}
            for r in cursor.fetchall()]


def _widen_unique(cursor, table: str) -> list[str]:
    """Primary key and unique constraints/indexes of a distributed table get the
    distribution column."""
    done = []
    cursor.execute("""
        SELECT c.conname, c.contype, pg_get_constraintdef(c.oid)
          FROM pg_constraint c
         WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u')
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                            AND a.attnum = ANY (c.conkey) AND a.attname = %s)""", [table, COLUMN])
    for name, kind, definition in cursor.fetchall():
        head, cols = definition.split("(", 1)
        cols = cols.rsplit(")", 1)[0]
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {head.strip()} ({cols}, {COLUMN})')
        done.append(f"{table}: {definition} -> ({cols}, {COLUMN})")
    cursor.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
         WHERE i.indrelid = %s::regclass AND i.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""", [table])
    for name, definition in cursor.fetchall():
        head, rest = definition.split(" USING btree (", 1)
        cols, tail = rest.split(")", 1)
        cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f"{head} USING btree ({cols}, {COLUMN}){tail}")
        done.append(f"{table}: unique index {name} + {COLUMN}")
    return done


def _projections_as_views(cursor) -> list[str]:
    for table, triggers in PROJECTION_TRIGGERS.items():
        for trigger in triggers:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{trigger}" ON {table}')
    # The rule view gains the report's regency (a new last column: CREATE OR REPLACE
    # keeps the others as they are).
    rule = _one(cursor, "SELECT pg_get_viewdef('reports_public_report_rule'::regclass)")
    if "r.regency_code" not in rule:
        select, rest = rule.split("\n   FROM ", 1)
        cursor.execute(f"CREATE OR REPLACE VIEW reports_public_report_rule AS {select},\n    r.{COLUMN}\n"
                       f"   FROM {rest}")
    # Views reading the projection table are re-made on the view.
    cursor.execute("""
        SELECT DISTINCT v.oid::regclass::text, pg_get_viewdef(v.oid)
          FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
         WHERE d.refobjid = 'reports_public_report'::regclass AND v.oid <> d.refobjid""")
    dependants = cursor.fetchall()
    for name, _definition in dependants:
        cursor.execute(f"DROP VIEW {name}")
    # The tiles' narrow copy (reports migration 0016) is kept by triggers on the
    # projection table: a view of the projection here.
    cursor.execute("DROP TABLE reports_public_point")
    cursor.execute("DROP TABLE reports_public_report")
    cursor.execute("CREATE VIEW reports_public_report AS SELECT * FROM reports_public_report_rule")
    cursor.execute(f"CREATE VIEW reports_public_point AS SELECT id, m AS location_3857, ST_X(m) AS x, ST_Y(m) AS y,"
                   f" category_code, category_name, status, supporters_count, created_at, {COLUMN}"
                   f" FROM (SELECT *, ST_Transform(location, 3857) AS m FROM reports_public_report) AS r")
    for name, definition in dependants:
        cursor.execute(f"CREATE VIEW {name} AS {definition}")
    # The cells' aggregate (tiles.aggregates), grouped by regency too: a cluster
    # tile that names its regencies (cells_sql) reads their shards only.
    cursor.execute("DROP TABLE tiles_reportcell")
    cursor.execute(f"CREATE VIEW tiles_reportcell ({', '.join(CELLS_BY_REGENCY_COLUMNS)}) AS {CELLS_BY_REGENCY_SQL}")
    return ["reports_public_report: view of reports_public_report_rule (+ regency_code)",
            "reports_public_point: view of reports_public_report in Web Mercator",
            "tiles_reportcell: view of the cells' aggregate (+ regency_code)"]


def distribute_project(cursor, *, shard_count: int | None = None) -> list[str]:
    """Distribute the project's tables on Citus (module docstring). Returns what
    was done: empty on one PostgreSQL or when already distributed."""
    if not citus_present(cursor) or is_distributed(cursor):
        return []
    done = []
    cursor.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    if shard_count:
        cursor.execute(f"SET LOCAL citus.shard_count TO {int(shard_count)}")
    fks = _foreign_keys(cursor)
    for fk in fks:
        cursor.execute(f'ALTER TABLE {fk["child"]} DROP CONSTRAINT "{fk["name"]}"')
    done += _projections_as_views(cursor)
    for table in DISTRIBUTED:
        done += _widen_unique(cursor, table)
    for table in REFERENCE:
        cursor.execute("SELECT create_reference_table(%s)", [table])
        done.append(f"reference {table}")
    for table in DISTRIBUTED:
        cursor.execute("SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                       [table, COLUMN, "default" if table == ANCHOR else ANCHOR])
        done.append(f"distributed {table} by {COLUMN}" + ("" if table == ANCHOR else f" with {ANCHOR}"))
    citus_tables = set(DISTRIBUTED) | set(REFERENCE)
    local = sorted({t for fk in fks for t in (fk["child"], fk["parent"])} - citus_tables)
    for table in local:
        cursor.execute("SELECT citus_add_local_table_to_metadata(%s)", [table])
    if local:
        done.append(f"Citus local tables: {', '.join(local)}")
    for fk in fks:
        child_d, parent_d = fk["child"] in DISTRIBUTED, fk["parent"] in DISTRIBUTED
        if parent_d and not child_d:
            done.append(f"dropped {fk['child']}.{fk['name']} (a local table cannot reference a distributed one)")
            continue
        if child_d and parent_d:
            tail = fk["definition"].split(")", 2)[2]  # ON DELETE ..., DEFERRABLE ...
            cols = ", ".join([COLUMN, *fk["cols"]])
            pcols = ", ".join([COLUMN, *fk["pcols"]])
            cursor.execute(f'ALTER TABLE {fk["child"]} ADD CONSTRAINT "{fk["name"]}"'
                           f' FOREIGN KEY ({cols}) REFERENCES {fk["parent"]} ({pcols}){tail}')
            done.append(f"{fk['child']}: ({cols}) -> {fk['parent']} ({pcols})")
        else:
            cursor.execute(f'ALTER TABLE {fk["child"]} ADD CONSTRAINT "{fk["name"]}" {fk["definition"]}')
    for function in FUNCTIONS:
        cursor.execute("SELECT create_distributed_function(%s)", [function])
        done.append(f"distributed function {function}")
    # The coordinator holds a copy of every reference table and the Citus local
    # tables. Executing on them locally, then a command on every placement in the
    # same transaction (a loader that writes boundaries, then ANALYZE) is refused
    # by Citus: the coordinator reaches its own placements over a connection.
    database = _one(cursor, "SELECT current_database()")
    cursor.execute(f'ALTER DATABASE "{database}" SET citus.enable_local_execution TO off')
    done.append(f"database {database}: citus.enable_local_execution off")
    return done
