"""Reads of published layers: GeoJSON pages, single features, counts, extents
and row streams, all over `Layer.table_sql` (so always through the policy).

GeoJSON is built inside PostgreSQL (json_build_object / ST_AsGeoJSON): the
page leaves the database as one string and Python never touches a feature.
prior-art.md measured this 6-17x faster than serializing rows in Python.
"""
import contextlib
import json
import time
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.db import connection, transaction

from .registry import Layer

# Decimal places of published coordinates: 7 is ~1 cm, more than any source.
COORDINATE_DIGITS = 7


def _feature_expr(layer: Layer, alias: str = "q") -> str:
    """SQL of one GeoJSON Feature (json) from a row of `layer.table_sql`."""
    props = ", ".join(f"'{name}', {alias}.\"{name}\"" for name in layer.fields)
    return (f"json_build_object('type', 'Feature', 'id', {alias}.id, "
            f"'geometry', ST_AsGeoJSON({alias}.geom, {COORDINATE_DIGITS})::json, "
            f"'properties', json_build_object({props}))")


@contextlib.contextmanager
def bounded_cursor(timeout_ms: int | None = None):
    """A cursor in a transaction whose statements stop after `timeout_ms`
    (psycopg raises QueryCanceled; callers turn it into a clear error)."""
    timeout_ms = timeout_ms or settings.LAYERS_STATEMENT_TIMEOUT_MS
    with transaction.atomic(), connection.cursor() as cursor:
        # set_config, not SET: SET takes no bound parameters.
        # JIT off: these statements read a page's worth of rows, and a high
        # cost estimate (a subplan per row) made PostgreSQL spend ~40 ms
        # compiling one.
        cursor.execute("SELECT set_config('statement_timeout', %s, true), set_config('jit', 'off', true)",
                       [str(int(timeout_ms))])
        yield cursor


# A bbox page of a layer with a narrow copy in spatial order (Layer.bbox_copy)
# picks its ids there. The copy holds each point in Web Mercator; a 4326 bbox
# maps to a 3857 box exactly up to rounding, so a point farther than
# _BAND_DEG inside the bbox matches on the copy alone, one farther than that
# outside never matches, and only the points in the band between are tested
# against the layer's own row (its `&&`), so the copy answers exactly what
# the layer's bbox filter answers.
_BAND_DEG = 1e-4
_MERCATOR_MAX_LAT = 85.0
# Per row, walking the layer by id and testing each row's point (a random
# read of a wide row) costs about this many times reading one match from the
# ordered copy and sorting it (measured on 1,000,000 reports, 712k public:
# 2-2.5x; docs/benchmarks.md, issue 25): a page of n rows in a bbox holding N
# of the layer's T rows walks ~n*T/N rows, or reads and sorts N on the copy;
# the two meet near N = 42,000 there.
_WALK_COST_RATIO = 2.5
# The copy's row count (pg_class.reltuples) for the plan's ratio: it moves only
# with (auto)ANALYZE and VACUUM, so a process reads it once per this many
# seconds, not per page (one round trip fewer per bbox page).
_TOTAL_REUSE_SECONDS = 300.0
_totals: dict[str, tuple[float, float]] = {}


def _copy_total(cursor, table: str) -> float:
    now = time.monotonic()
    known = _totals.get(table)
    if known is not None and now - known[1] < _TOTAL_REUSE_SECONDS:
        return known[0]
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    total = max(float(cursor.fetchone()[0]), 1.0)
    _totals[table] = (total, now)
    return total


def _copy_bbox(layer: Layer, filters: dict, count_filters: dict | None, count_max: int | None):
    """The bbox as four floats when the page can be picked on the layer's
    narrow copy: a bbox (and perhaps `after`) is the only filter, of the page
    and of the count, and it is a plain box Web Mercator can hold."""
    if not layer.bbox_copy or settings.KR_CITUS:
        return None
    bbox = filters.get("bbox")
    if bbox is None or set(filters) - {"bbox", "after"}:
        return None
    if count_max is not None and (count_filters or {}) != {"bbox": bbox}:
        return None
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if minx > maxx or miny > maxy or miny < -_MERCATOR_MAX_LAT or maxy > _MERCATOR_MAX_LAT:
        return None
    return minx, miny, maxx, maxy


def _copy_match_sql(layer: Layer, box: tuple[float, float, float, float]) -> tuple[str, list]:
    """WHERE clause on the copy (alias p) matching exactly the rows the
    layer's bbox filter matches."""
    _, column = layer.bbox_copy
    minx, miny, maxx, maxy = box
    band = _BAND_DEG
    outer = [minx - band, max(miny - band, -_MERCATOR_MAX_LAT - 0.01), maxx + band,
             min(maxy + band, _MERCATOR_MAX_LAT + 0.01)]
    envelope = "ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 3857)"
    exact_sql, exact_params = layer.table_sql({"bbox": list(box)})
    # OFFSET 0: a lookup by id per row in the band, never the planner's
    # hashed alternative (reading every match of the bbox in the layer).
    check = f"EXISTS (SELECT 1 FROM ({exact_sql}) AS e WHERE e.id = p.id OFFSET 0)"
    if minx + band < maxx - band and miny + band < maxy - band:
        inner = [minx + band, miny + band, maxx - band, maxy - band]
        return (f"p.{column} && {envelope} AND CASE WHEN p.{column} && {envelope} THEN true ELSE {check} END",
                [*outer, *inner, *exact_params])
    return f"p.{column} && {envelope} AND {check}", [*outer, *exact_params]


def _copy_plan(layer: Layer, box, rows_wanted: int) -> str:
    """The plan of a bbox page: `copy-sort` (pick the page's ids among the
    bbox's matches on the copy) or `copy-walk` (walk the layer by id until
    the page is full), by the planner's estimate of the matches."""
    table, column = layer.bbox_copy
    minx, miny, maxx, maxy = box
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} p WHERE p.{column} && "
                       f"ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 3857)", [minx, miny, maxx, maxy])
        plan = cursor.fetchone()[0]
        total = _copy_total(cursor, table)
    if isinstance(plan, str):
        plan = json.loads(plan)
    matches = max(float(plan[0]["Plan"]["Plan Rows"]), 1.0)
    walk = _WALK_COST_RATIO * min(rows_wanted * total / matches, total)
    return "copy-sort" if matches <= walk else "copy-walk"


def features_page(*, layer: Layer, filters: dict | None, limit: int, offset: int,
                  count_filters: dict | None = None, count_max: int | None = None, plan: str | None = None
                  ) -> tuple[str, int, str | None, int | None]:
    """(JSON array of Features as text, number returned, last id as text,
    number matched), ordered by id, in ONE statement: the page is built by
    json_agg in PostgreSQL from the layer's flat SELECT, and the matches of
    `count_filters` are counted in the same statement when `count_max` is
    given (0: exactly; n: up to n, None when there are more, so the count
    reads at most n + 1 index entries).

    A bbox page of a layer with a narrow copy in spatial order
    (Layer.bbox_copy) counts its matches on the copy (they sit on few pages
    there; in the layer's table, in arrival order, each on a page of its
    own), and, when the bbox holds few enough of the layer's rows, picks the
    page's ids there too (`copy-sort`); otherwise it walks the layer by id
    (`copy-walk`). `plan` forces one ("layer": neither; for tests)."""
    filters = filters or {}
    box = _copy_bbox(layer, filters, count_filters, count_max) if plan != "layer" else None
    if box is not None and plan is None:
        plan = _copy_plan(layer, box, limit + offset)
    elif box is None:
        plan = "layer"
    table = layer.bbox_copy[0] if box is not None else None
    match, match_params = _copy_match_sql(layer, box) if box is not None else ("", [])
    if plan == "copy-sort":
        after, after_params = "", []
        if filters.get("after") is not None:
            cast = {"integer": "bigint", "uuid": "uuid"}.get(layer.id_type, "text")
            after, after_params = f" AND p.id > %s::{cast}", [str(filters["after"])]
        rest_sql, rest_params = layer.table_sql({})
        # OFFSET 0 keeps the copy's scan by bbox (a bitmap of few pages) under
        # the sort: the planner would otherwise walk the copy's id index.
        ids_sql = (f"SELECT s.id FROM (SELECT p.id FROM {table} p WHERE {match}{after} OFFSET 0) AS s "
                   f"ORDER BY s.id LIMIT %s OFFSET %s")
        sql = f"SELECT r.* FROM ({rest_sql}) AS r WHERE r.id = ANY(ARRAY({ids_sql}))"
        params = [*rest_params, *match_params, *after_params, limit, offset]
        page_offset = 0
    else:
        sql, params = layer.table_sql(filters)
        page_offset = offset
    # ORDER BY id makes paging stable; the subquery is flattened, so a bbox
    # filter and the id order both reach the indexes of the source table.
    count_sql, count_params = "NULL::bigint", []
    if count_max is not None:
        if box is not None:
            csql, cparams = f"SELECT 1 FROM {table} p WHERE {match}", match_params
        else:
            csql, cparams = layer.table_sql(count_filters)
        if count_max:
            count_sql = f"(SELECT count(*) FROM (SELECT 1 FROM ({csql}) AS c LIMIT %s) AS c)"
            count_params = [*cparams, count_max + 1]
        else:
            count_sql, count_params = f"(SELECT count(*) FROM ({csql}) AS c)", list(cparams)
    # A first page that is not full holds every match: the count subquery
    # (an InitPlan, run only when its branch is taken) is skipped then.
    first_page = not offset and not filters.get("after")
    page_sql = (f"SELECT COALESCE(json_agg({_feature_expr(layer)} ORDER BY q.id), '[]'::json)::text, count(*), "
                f"(array_agg(q.id::text ORDER BY q.id DESC))[1], "
                f"CASE WHEN %s AND count(*) < %s THEN count(*) ELSE {count_sql} END "
                f"FROM (SELECT * FROM ({sql}) AS s ORDER BY s.id LIMIT %s OFFSET %s) AS q")
    with bounded_cursor() as cursor:
        cursor.execute(page_sql, [first_page, limit, *count_params, *params, limit, page_offset])
        features, returned, last_id, matched = cursor.fetchone()
    if count_max and matched is not None and matched > max(count_max, returned):
        matched = None
    return features, returned, last_id, matched


def feature_get(*, layer: Layer, feature_id: str) -> str | None:
    """One Feature as JSON text, or None (unknown or not published)."""
    if layer.id_type == "integer" and not (feature_id.isdigit() and len(feature_id) <= 18):
        return None
    if layer.id_type == "uuid":
        try:
            uuid.UUID(feature_id)
        except ValueError:
            return None
    sql, params = layer.table_sql({"ids": [feature_id]})
    with bounded_cursor() as cursor:
        cursor.execute(f"SELECT ({_feature_expr(layer)})::text FROM ({sql}) AS q", params)
        row = cursor.fetchone()
    return row[0] if row else None


def features_count(*, layer: Layer, filters: dict | None) -> int:
    sql, params = layer.table_sql(filters)
    with bounded_cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS q", params)
        return cursor.fetchone()[0]


def regency_extent() -> list[float] | None:
    """[minx, miny, maxx, maxy] of the current kabupaten (CRS84): the spatial
    extent every collection declares (cheap, and true for every layer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
              FROM (SELECT ST_Extent(b.geom) AS e
                      FROM geo_area a
                      JOIN geo_edition ed ON ed.id = a.edition_id AND ed.is_current
                      JOIN geo_areaboundary b ON b.area_id = a.id
                     WHERE a.level IN ('kabupaten', 'kecamatan', 'desa')) x
            """)
        row = cursor.fetchone()
    if not row or row[0] is None:
        return None
    return [round(v, 6) for v in row]


def rows_stream(*, layer: Layer, filters: dict | None, select: str, batch_size: int | None = None
                ) -> Iterator[list[tuple]]:
    """Batches of rows of `SELECT {select} FROM (table_sql) q ORDER BY q.id`
    read through a server-side cursor, so memory stays bounded whatever the
    size of the layer. `select` is SQL written by the caller (this app), never
    from a request."""
    batch_size = batch_size or settings.LAYERS_EXPORT_BATCH_SIZE
    sql, params = layer.table_sql(filters)
    statement = f"SELECT {select} FROM ({sql}) AS q ORDER BY q.id"
    name = f"layers_export_{uuid.uuid4().hex[:12]}"
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as setup:
            setup.execute("SELECT set_config('statement_timeout', %s, true)",
                          [str(settings.LAYERS_EXPORT_TIMEOUT_MS)])
        # A named (server-side) psycopg cursor: PostgreSQL keeps the result
        # and hands it over batch by batch.
        with raw.cursor(name=name) as cursor:
            cursor.itersize = batch_size
            cursor.execute(statement, params)
            while True:
                rows = cursor.fetchmany(batch_size)
                if not rows:
                    break
                yield rows


def feature_json_select(layer: Layer) -> str:
    """The `select` of rows_stream giving one GeoJSON Feature text per row."""
    return f"({_feature_expr(layer)})::text"
