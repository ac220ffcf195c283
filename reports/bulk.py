"""Bulk loading of reports: imports from other channels (SP4N-LAPOR!
exports, legacy registers) and the synthetic data set.

Rows are streamed with COPY into a temporary staging table, then one
INSERT ... SELECT per batch assigns desa (the same edge rule as
geo.selectors.point_locate: covering part with the lowest code, else the
nearest desa within GEO_NEAREST_TOLERANCE_M), kecamatan (from the code
hierarchy) and agency (the routing rules of reports.selectors.routing_decide,
most specific first, else the category default) set-based. Raw SQL because
the ORM cannot express COPY or a LATERAL join; every value is bound.

Rows whose id already exists are skipped (ON CONFLICT DO NOTHING), so an
import can be re-run; rows outside coverage are dropped and counted.
"""
import datetime
import queue
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction

from common.citus import local_execution_on
from common.workdays import add_working_days
from geo.selectors import edition_current

from .models import Category
from .selectors import LEVEL_RANK_SQL

_STAGE_DDL = """
DROP TABLE IF EXISTS pg_temp.reports_stage, pg_temp.reports_stage_event, pg_temp.reports_stage_inserted,
                     pg_temp.reports_stage_desa;
CREATE TEMP TABLE reports_stage (
    id uuid, tracking_code text, category_id int, geom geometry(Point, 4326), accuracy_m float8,
    status text, channel text, description text, confidential bool,
    created_at timestamptz, updated_at timestamptz, verified_at timestamptz, resolved_at timestamptz,
    deadline date, is_synthetic bool, supporters_count int, has_events bool
) ON COMMIT DROP;
CREATE TEMP TABLE reports_stage_event (
    report_id uuid, kind text, from_status text, to_status text, note text, public bool, created_at timestamptz
) ON COMMIT DROP;
CREATE TEMP TABLE reports_stage_inserted (id uuid, regency_code varchar(5)) ON COMMIT DROP;
"""

_STAGE_COLUMNS = ("id", "tracking_code", "category_id", "geom", "accuracy_m", "status", "channel",
                  "description", "confidential", "created_at", "updated_at", "verified_at", "resolved_at",
                  "deadline", "is_synthetic", "supporters_count", "has_events")
_EVENT_COLUMNS = ("report_id", "kind", "from_status", "to_status", "note", "public", "created_at")
# The types of the binary COPY, column by column (geometry as EWKB bytes).
_STAGE_TYPES = ("uuid", "text", "int4", "bytea", "float8", "text", "text", "text", "bool", "timestamptz",
                "timestamptz", "timestamptz", "timestamptz", "date", "bool", "int4", "bool")
_EVENT_TYPES = ("uuid", "text", "text", "text", "text", "bool", "timestamptz")
# A point as little-endian EWKB with its SRID: byte order, type (point |
# SRID flag), SRID, x, y.
_EWKB_POINT = struct.Struct("<BIIdd").pack
_EWKB_POINT_SRID = 0x20000001

# Desa assignment, set-based: the staged points get a GiST index and each
# desa part probes it once (a nested loop with the polygon on the outer side,
# so PostGIS reuses the prepared polygon for all its points: ~10x faster than
# one probe of the part index per point). The covering part with the lowest
# code wins (the lookup's edge rule). Points covered by none fall back to the
# nearest desa part within the tolerance (geodesic metres, && prefilter).
_ASSIGN_SQL = """
CREATE INDEX reports_stage_geom ON reports_stage USING gist (geom);
ANALYZE reports_stage (geom);
CREATE TEMP TABLE reports_stage_desa ON COMMIT DROP AS
SELECT DISTINCT ON (s.id) s.id, p.area_id AS desa_id, false AS approximate
  FROM geo_areapart p JOIN reports_stage s ON ST_Covers(p.geom, s.geom)
 WHERE p.edition_id = %(edition)s AND p.level = 'desa'
 ORDER BY s.id, p.code;
INSERT INTO reports_stage_desa (id, desa_id, approximate)
SELECT s.id, n.area_id, true
  FROM reports_stage s
  JOIN LATERAL (
        SELECT p.area_id FROM geo_areapart p
         WHERE p.edition_id = %(edition)s AND p.level = 'desa'
           AND p.geom && ST_Expand(s.geom, %(margin)s)
           AND ST_DWithin(p.geom::geography, s.geom::geography, %(tolerance)s)
         ORDER BY ST_Distance(p.geom::geography, s.geom::geography), p.code
         LIMIT 1) n ON true
 WHERE NOT EXISTS (SELECT 1 FROM reports_stage_desa d WHERE d.id = s.id);
"""

# Routing, as reports.selectors.routing_decide: the most specific active rule
# of an active agency (area level, then service area, then lowest id), else
# the category's default agency while it is active; "bukan wewenang" rows go
# to triage (no agency).
_INSERT_SQL = """
WITH rules AS MATERIALIZED (
    -- The active rules, ranked once per batch (not once per row): 37 rows.
    SELECT rr.id, rr.agency_id, rr.category_id, rr.area_id, rr.service_area_id, sa.area_codes, rr.regency_code,
           {level_rank} AS level_rank
      FROM reports_routingrule rr
      JOIN geo_agency ag ON ag.id = rr.agency_id AND ag.is_active
      LEFT JOIN geo_area ra ON ra.id = rr.area_id
      LEFT JOIN geo_servicearea sa ON sa.id = rr.service_area_id
     WHERE rr.is_active
), routed AS (
    SELECT s.*, sd.desa_id, sd.approximate, d.parent_id AS kecamatan_id, d.regency_code, rule.id AS rule_id,
           COALESCE(rule.agency_id, dag.id) AS routed_agency_id, cat.code AS category_code
      FROM reports_stage s
      JOIN reports_stage_desa sd ON sd.id = s.id
      JOIN geo_area d ON d.id = sd.desa_id
      LEFT JOIN geo_area k ON k.id = d.parent_id
      LEFT JOIN geo_area kab ON kab.id = k.parent_id
      JOIN reports_category cat ON cat.id = s.category_id
      LEFT JOIN geo_agency dag ON dag.id = cat.default_agency_id AND dag.is_active
                                AND dag.regency_code = d.regency_code
      LEFT JOIN LATERAL (
            SELECT r.id, r.agency_id
              FROM rules r
             WHERE r.category_id = s.category_id AND r.regency_code = d.regency_code
               AND (r.area_id IS NULL OR r.area_id IN (d.id, k.id, kab.id))
               AND (r.service_area_id IS NULL
                    OR r.area_codes && ARRAY[d.code, k.code, kab.code]::varchar[]
                    OR EXISTS (SELECT 1 FROM geo_serviceareapart sp
                                WHERE sp.service_area_id = r.service_area_id AND ST_Covers(sp.geom, s.geom)))
             ORDER BY r.level_rank DESC, (r.service_area_id IS NOT NULL) DESC, r.id
             LIMIT 1) rule ON true
), inserted AS (
INSERT INTO reports_report (
    id, tracking_code, category_id, status, channel, location, accuracy_m, desa_id, kecamatan_id,
    location_approximate, agency_id, routing_reason, reporter_id, on_behalf_of_rt_id, confidential, anonymous,
    description, created_at, updated_at, verified_at, resolved_at, deadline, merged_into_id, supporters_count,
    is_synthetic, regency_code)
SELECT id, tracking_code, category_id, status, channel, geom, accuracy_m, desa_id, kecamatan_id,
       approximate, CASE WHEN status = 'not_our_authority' THEN NULL ELSE routed_agency_id END,
       CASE WHEN rule_id IS NOT NULL THEN 'impor: aturan #' || rule_id
            WHEN routed_agency_id IS NOT NULL THEN 'impor: instansi bawaan kategori ' || category_code
            ELSE 'impor: antrean triase' END,
       NULL, NULL, confidential, true, description, created_at, updated_at, verified_at, resolved_at, deadline,
       NULL, supporters_count, is_synthetic, regency_code
  FROM routed
ON CONFLICT DO NOTHING
RETURNING id, regency_code
)
INSERT INTO reports_stage_inserted SELECT id, regency_code FROM inserted
""".replace("{level_rank}", LEVEL_RANK_SQL)

# A row without a history gets the one public "created" entry, written here
# from the staged row rather than copied from Python (half the COPY).
_EVENTS_SQL = """
INSERT INTO reports_reportevent (report_id, kind, from_status, to_status, note, public, created_at, regency_code)
SELECT e.report_id, e.kind, e.from_status, e.to_status, e.note, e.public, e.created_at, i.regency_code
  FROM reports_stage_event e
  JOIN reports_stage_inserted i ON i.id = e.report_id
 UNION ALL
SELECT s.id, 'created', '', 'received', '', true, s.created_at, i.regency_code
  FROM reports_stage s
  JOIN reports_stage_inserted i ON i.id = s.id
 WHERE NOT s.has_events
"""


@dataclass
class ImportRow:
    """One report to import. `status` and the dates (time-zone aware) let
    history be loaded; `events` are (kind, from_status, to_status, note,
    public, created_at)."""

    id: object
    tracking_code: str
    category_code: str
    lon: float
    lat: float
    created_at: datetime.datetime
    description: str = ""
    status: str = "received"
    channel: str = "import"
    accuracy_m: float | None = None
    confidential: bool = False
    updated_at: datetime.datetime | None = None
    verified_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    is_synthetic: bool = False
    supporters_count: int = 0
    events: tuple = ()


def _statements(sql: str) -> list[str]:
    # psycopg binds parameters server-side, one statement per execute.
    return [part.strip() for part in sql.split(";\n") if part.strip()]


@lru_cache(maxsize=100_000)
def _deadline(day: datetime.date, days: int) -> datetime.date:
    return add_working_days(day, days)


def reports_import(*, rows: Iterable[ImportRow], batch_size: int = 50_000, workers: int | None = None) -> dict:
    """Load rows in batches (one transaction each); returns counts.

    Up to `workers` batches (default REPORTS_IMPORT_WORKERS) load at once,
    each on its own database connection: a batch is mostly PostgreSQL's work
    (indexes, triggers, foreign-key checks) on one core, and no two batches
    wait for each other (the tile cells are appended: tiles.aggregates).
    Inside the caller's transaction the batches load one after another in it.
    A failed batch stops the import with its error; batches already committed
    stay (the import can be re-run: known ids are skipped)."""
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    edition = edition_current()
    params = {"edition": edition.id, "tolerance": settings.GEO_NEAREST_TOLERANCE_M,
              "margin": settings.GEO_NEAREST_TOLERANCE_M / 111_000 * 1.05}
    counts = {"read": 0, "inserted": 0, "skipped": 0}
    workers = settings.REPORTS_IMPORT_WORKERS if workers is None else workers

    def batches():
        batch = []
        for row in rows:
            if row.category_code not in categories:
                raise ValueError(f"unknown category {row.category_code}")
            batch.append(row)
            counts["read"] += 1
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    counted = threading.Lock()
    # Staging is Python's work (the GIL): one batch at a time, so the first
    # batch reaches PostgreSQL while the next one is being staged instead of
    # both being staged at half speed while the database waits.
    staging = threading.Lock()

    def load(batch) -> None:
        inserted = _batch_load(batch, categories=categories, params=params, staging=staging)
        with counted:
            counts["inserted"] += inserted
            counts["skipped"] += len(batch) - inserted

    if workers <= 1 or connection.in_atomic_block:
        for batch in batches():
            load(batch)
    else:
        _in_parallel(batches(), load, workers=workers)
    return counts


def _in_parallel(items, fn, *, workers: int) -> None:
    """fn(item) for each item on `workers` threads (each with its own
    database connection, closed at the end); at most `workers` items wait in
    memory. The first error stops the feeding and is raised."""
    todo: queue.Queue = queue.Queue(maxsize=workers)
    errors: list[BaseException] = []

    def work():
        try:
            while (item := todo.get()) is not None:
                if not errors:
                    try:
                        fn(item)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                        errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"reports-import-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for item in items:
            if errors:
                break
            todo.put(item)
    finally:
        for _ in threads:
            todo.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]


def _batch_load(batch: list[ImportRow], *, categories: dict, params: dict, staging) -> int:
    """One batch in one transaction of this thread's connection; returns the
    rows inserted. `staging` (a lock) is held while the rows are built and
    copied in."""
    with transaction.atomic(), connection.cursor() as cursor:
        local_execution_on(cursor)  # the staging tables are TEMP (common.citus)
        # An import can be re-run (ids are kept), so waiting for the WAL
        # flush at commit buys nothing here.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The planner's row estimates for the fresh staging tables are
        # high enough to trigger JIT compilation of each statement, which
        # cost more than it saves (150 ms of the 200 ms desa fallback for
        # 20,000 rows); these statements are simple scans and joins.
        cursor.execute("SET LOCAL jit = off")
        for statement in _statements(_STAGE_DDL):
            cursor.execute(statement)
        with staging:
            _stage_copy(cursor, batch, categories)
        for statement in _statements(_ASSIGN_SQL):
            cursor.execute(statement, params if "%(" in statement else None)
        cursor.execute(_INSERT_SQL, params)
        inserted = cursor.rowcount
        cursor.execute(_EVENTS_SQL)
    return inserted


def _stage_copy(cursor, batch: list[ImportRow], categories: dict) -> None:
    # temp_buffers for the staging tables is left to the server configuration:
    # SET temp_buffers fails once the session has touched any temporary table.
    tz = datetime.timezone(datetime.timedelta(hours=7))  # Asia/Pontianak has no DST
    stage, events = [], []
    for r in batch:
        category = categories[r.category_code]
        local_day = r.created_at.astimezone(tz).date()
        stage.append((r.id, r.tracking_code, category.id, _EWKB_POINT(1, _EWKB_POINT_SRID, 4326, r.lon, r.lat),
                      r.accuracy_m,
                      r.status, r.channel, r.description, r.confidential or category.force_confidential,
                      r.created_at, r.updated_at or r.created_at, r.verified_at, r.resolved_at,
                      _deadline(local_day, category.target_days), r.is_synthetic, r.supporters_count,
                      bool(r.events)))
        for kind, from_status, to_status, note, public, at in r.events:
            events.append((r.id, kind, from_status, to_status, note, public, at))
    # Binary COPY: a quarter of the Python time of the text format (0.16 s
    # against 0.67 s for 50,000 rows), and no text for PostgreSQL to parse.
    for table, columns, types, rows in (("reports_stage", _STAGE_COLUMNS, _STAGE_TYPES, stage),
                                        ("reports_stage_event", _EVENT_COLUMNS, _EVENT_TYPES, events)):
        if rows:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for values in rows:
                    copy.write_row(values)
