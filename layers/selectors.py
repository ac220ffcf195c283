"""Reads of published layers: GeoJSON pages, single features, counts, extents
and row streams, all over `Layer.table_sql` (so always through the policy).

GeoJSON is built inside PostgreSQL (json_build_object / ST_AsGeoJSON): the
page leaves the database as one string and Python never touches a feature.
prior-art.md measured this 6-17x faster than serializing rows in Python.
"""
import contextlib
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
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(int(timeout_ms))])
        yield cursor


def features_page(*, layer: Layer, filters: dict | None, limit: int, offset: int,
                  count_filters: dict | None = None, count_max: int | None = None
                  ) -> tuple[str, int, str | None, int | None]:
    """(JSON array of Features as text, number returned, last id as text,
    number matched), ordered by id, in ONE statement: the page is built by
    json_agg in PostgreSQL from the layer's flat SELECT, and the matches of
    `count_filters` are counted in the same statement when `count_max` is
    given (0: exactly; n: up to n, None when there are more, so the count
    reads at most n + 1 index entries)."""
    sql, params = layer.table_sql(filters)
    # ORDER BY id makes paging stable; the subquery is flattened, so a bbox
    # filter and the id order both reach the indexes of the source table.
    count_sql, count_params = "NULL::bigint", []
    if count_max is not None:
        csql, cparams = layer.table_sql(count_filters)
        if count_max:
            count_sql = f"(SELECT count(*) FROM (SELECT 1 FROM ({csql}) AS c LIMIT %s) AS c)"
            count_params = [*cparams, count_max + 1]
        else:
            count_sql, count_params = f"(SELECT count(*) FROM ({csql}) AS c)", list(cparams)
    # A first page that is not full holds every match: the count subquery
    # (an InitPlan, run only when its branch is taken) is skipped then.
    first_page = not offset and not (filters or {}).get("after")
    page_sql = (f"SELECT COALESCE(json_agg({_feature_expr(layer)} ORDER BY q.id), '[]'::json)::text, count(*), "
                f"(array_agg(q.id::text ORDER BY q.id DESC))[1], "
                f"CASE WHEN %s AND count(*) < %s THEN count(*) ELSE {count_sql} END "
                f"FROM (SELECT * FROM ({sql}) AS s ORDER BY s.id LIMIT %s OFFSET %s) AS q")
    with bounded_cursor() as cursor:
        cursor.execute(page_sql, [first_page, limit, *count_params, *params, limit, offset])
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
