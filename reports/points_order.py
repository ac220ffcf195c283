"""Keeping the tiles' and items' narrow copy `reports_public_point` (reports
migration 0016) in spatial order (issue 25).

A dense z14 tile reads ~6,000 of its rows and a bbox items page counts and
sorts up to tens of thousands: in spatial order they sit on ~100 pages, in
arrival order each on a page of its own (40x more). Rows that arrive one by
one are appended, so the order decays; this puts it back, as periodic
maintenance (the beat entry `reports-points-reorder`, nightly) and by hand
(`manage.py reports_points_reorder`).

How, without pg_repack and without CLUSTER's long ACCESS EXCLUSIVE lock
(CLUSTER blocks tile reads and report writes for its whole run, ~7 s at
712k rows): an ordered copy is built next to the table, caught up, and
swapped in.
1. Without any lock but the reads': note the oldest transaction still
   running, build the ordered copy and its indexes (seconds).
2. SHARE lock on reports_public_report: writes of the public projection (a
   report submitted, a status changed: each writes the copy through the
   projection's triggers) wait from here; reads go on. Rows written since
   step 1 (their xmin not older than the noted transaction) are upserted
   into the copy when they differ; rows deleted since (the copy then holds more rows) are
   deleted from it.
3. ACCESS EXCLUSIVE lock on reports_public_point, drop it, rename the copy
   and its indexes: tile and items reads wait only for this step.
4. Commit, then ANALYZE.
The triggers and prepared statements name the table and are planned again
after the swap; nothing else depends on it (no view, no foreign key)."""
import time

from django.db import connection, transaction

TABLE = "reports_public_point"
NEXT = "reports_public_point_next"
ORDER_EXPR = "ST_GeoHash(ST_Transform(location_3857, 4326), 8)"


def public_points_reorder(*, lock_timeout_ms: int = 5000) -> dict:
    """Rebuild reports_public_point in spatial order; returns what it did
    and how long writes (`writes_blocked_s`) and reads (`reads_blocked_s`)
    of it waited. On Citus it is a view of the projection (ops.citus):
    nothing to order."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    if not row or row[0] != "r":
        return {"rows": 0, "skipped": "not a table"}
    started = time.monotonic()
    with connection.cursor() as cursor:
        # no timeout for the build; the connection's own one is put back after
        cursor.execute("SELECT current_setting('statement_timeout')")
        timeout = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('statement_timeout', '0', false)")
        try:
            # Every transaction not seen by the copy has an xid at least this.
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296")
            oldest = cursor.fetchone()[0]
            cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [TABLE])
            comment = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE IF EXISTS {NEXT}")
            cursor.execute(f"CREATE TABLE {NEXT} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                           f"INCLUDING STORAGE INCLUDING COMMENTS)")
            cursor.execute(f"INSERT INTO {NEXT} SELECT * FROM {TABLE} ORDER BY {ORDER_EXPR}")
            cursor.execute(f"ALTER TABLE {NEXT} ADD CONSTRAINT {NEXT}_pkey PRIMARY KEY (id)")
            cursor.execute(f"CREATE INDEX {NEXT}_location_3857 ON {NEXT} USING gist (location_3857)")
            cursor.execute(f"CREATE INDEX {NEXT}_order ON {NEXT} ({ORDER_EXPR})")
            built = time.monotonic()
            with transaction.atomic():
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(int(lock_timeout_ms))])
                cursor.execute("LOCK TABLE reports_public_report IN SHARE MODE")
                writes_from = time.monotonic()
                cursor.execute("SELECT string_agg(quote_ident(attname) || ' = EXCLUDED.' || quote_ident(attname), ', ') "
                               "FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                               "AND attname <> 'id'", [TABLE])
                assignments = cursor.fetchone()[0]
                cursor.execute(f"INSERT INTO {NEXT} SELECT * FROM {TABLE} WHERE age(xmin) <= age(%s::text::xid) "
                               f"ON CONFLICT (id) DO UPDATE SET {assignments} "
                               f"WHERE ({NEXT}.*) IS DISTINCT FROM (EXCLUDED.*)", [str(oldest)])
                caught_up = cursor.rowcount
                cursor.execute(f"SELECT (SELECT count(*) FROM {NEXT}), (SELECT count(*) FROM {TABLE})")
                copied, rows = cursor.fetchone()
                deleted = copied - rows
                if deleted:
                    cursor.execute(f"DELETE FROM {NEXT} n WHERE NOT EXISTS (SELECT 1 FROM {TABLE} o WHERE o.id = n.id)")
                cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
                reads_from = time.monotonic()
                cursor.execute(f"DROP TABLE {TABLE}")
                cursor.execute(f"ALTER TABLE {NEXT} RENAME TO {TABLE}")
                cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {NEXT}_pkey TO {TABLE}_pkey")
                cursor.execute(f"ALTER INDEX {NEXT}_location_3857 RENAME TO {TABLE}_location_3857")
                cursor.execute(f"ALTER INDEX {NEXT}_order RENAME TO {TABLE}_order")
                cursor.execute(f"ALTER TABLE {TABLE} CLUSTER ON {TABLE}_order")
                if comment:
                    cursor.execute(f"COMMENT ON TABLE {TABLE} IS %s", [comment])
        except Exception:
            cursor.execute(f"DROP TABLE IF EXISTS {NEXT}")
            raise
        finally:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [timeout])
    done = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    return {"rows": rows, "caught_up": caught_up, "deleted": deleted, "build_s": round(built - started, 3),
            "writes_blocked_s": round(done - writes_from, 3), "reads_blocked_s": round(done - reads_from, 3),
            "total_s": round(time.monotonic() - started, 3)}
