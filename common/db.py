"""Prepared statements for the hot read paths (the point lookup, tiles).

Django opens its psycopg connections with prepare_threshold=None (prepared
statements off, for connection poolers), and psycopg then ignores
`prepare=True` without a word, and Django's own cursors bind parameters on
the client, so they cannot prepare at all: a statement that takes longer to
plan than to run (the lookup: 0.6-1.2 ms of planning for 0.5 ms of work; a
z16 tile: ~0.4 ms of 1.2 ms) was planned on every call. `prepared_cursor()`
gives a Django cursor (execute wrappers, the query log that
django_assert_num_queries reads, database errors mapped to django.db's) over a
psycopg cursor with server-side binding whose execute() prepares. A threshold
no statement reaches keeps automatic preparation off, so only these
statements are prepared. After five executions PostgreSQL keeps one generic
plan per statement and session when it costs no more than the custom ones
(plan_cache_mode auto); the connections are opened with
DB_PLAN_CACHE_MODE=force_generic_plan (config/settings/base.py), so they keep
the generic plan from the first execution. That mode applies to every
statement sent with server-side parameters, not only these: one whose plan
must see its parameters' values (geo.selectors.points_assign_desa, a million
points in arrays) sets plan_cache_mode=force_custom_plan for its transaction.
A transaction-mode pooler in front of PostgreSQL needs
protocol-level prepared statements (PgBouncer >= 1.21, max_prepared_statements).
"""
import contextlib
import functools
import threading

import psycopg
from django.db import connection

EXPLICIT_PREPARE_ONLY = 2**31 - 1


class _Logged:
    __slots__ = ("query",)

    def __init__(self, query: bytes):
        self.query = query


class _Preparing:
    """A psycopg cursor whose execute() prepares the statement."""

    def __init__(self, raw: psycopg.Cursor):
        self._raw = raw
        self._query = None

    def execute(self, sql, params=None):
        # What Django's query log shows (last_executed_query reads
        # cursor._query.query): psycopg keeps no text of a prepared execution.
        self._query = _Logged(sql.encode())
        return self._raw.execute(sql, params, prepare=True)

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __iter__(self):
        return iter(self._raw)


@contextlib.contextmanager
def prepared_cursor():
    """A cursor of the default connection whose statements are prepared
    (parameters bound server-side: %s / %(name)s placeholders, as psycopg)."""
    connection.ensure_connection()
    conn = connection.connection
    if conn.prepare_threshold is None:
        conn.prepare_threshold = EXPLICIT_PREPARE_ONLY
    with connection._prepare_cursor(_Preparing(psycopg.Cursor(conn))) as cursor:
        yield cursor


# --- Model instances from the rows of a raw statement -------------------------

def model_columns(model, alias: str) -> str:
    """The model's columns, qualified by `alias`, in the order model_from_row
    reads them: `SELECT {model_columns(Report, "r")} FROM reports_report r`."""
    return ", ".join(f"{alias}.{f.column}" for f in model._meta.concrete_fields)


_layouts = threading.local()


def _layout(model) -> tuple[list[str], int, list]:
    """_layout_build(model), once per model and thread: a converter holds
    objects of the thread that built it (a geometry converter, GEOS' WKB
    reader of that thread, which is not safe to share: shared, concurrent
    threads got `GEOSException`/`Unexpected EOF parsing WKB`)."""
    built = getattr(_layouts, "by_model", None)
    if built is None:
        built = _layouts.by_model = {}
    layout = built.get(model)
    if layout is None:
        layout = built[model] = _layout_build(model)
    return layout


def _layout_build(model) -> tuple[list[str], int, list]:
    """The model's attribute names in column order, the position of its
    primary key, and (position, converters, column) of the fields whose
    values the ORM converts after reading them (a geometry, from EWKB), as its
    compiler finds them; the converters take the connection when called."""
    fields = model._meta.concrete_fields
    compiler = model.objects.none().query.get_compiler(connection=connection)
    converters = compiler.get_converters([f.get_col(model._meta.db_table) for f in fields])
    return ([f.attname for f in fields], fields.index(model._meta.pk),
            [(pos, convs, column) for pos, (convs, column) in converters.items()])


def model_from_row(model, row, start: int = 0):
    """The instance held by `row[start:]` (the values of model_columns(model,
    ...)), converted as the ORM converts them; None when its primary key is
    NULL (an outer join that found nothing)."""
    attnames, pk, converters = _layout(model)
    values = list(row[start:start + len(attnames)])
    if values[pk] is None:
        return None
    for pos, convs, column in converters:
        for convert in convs:
            values[pos] = convert(values[pos], column, connection)
    return model.from_db(connection.alias, attnames, values)
