"""Re-assign stored points to the desa and kecamatan of the current edition.

After a new boundary edition becomes current, reports and businesses still
point at the areas of the edition they were assigned in. `run` re-assigns
every point set-based, by the lookup rule of geo.selectors (the same SQL as
points_assign_desa), in one transaction: desa, kecamatan (the desa's parent,
from the code) and the approximate flag. A point outside the current
edition's coverage keeps its assignment and is counted. A dry run computes
the same summary and rolls back. Running it again changes nothing.

The point tables belong to the apps above geo: each registers its model
with `register_point_table(model, on_reassigned=...)` from AppConfig.ready()
(geo imports none of them). `on_reassigned(ids)` runs inside the committing
transaction with the ids whose assignment changed and brings derived data in
step (reports: the report counts are marked dirty and their tiles dropped on
commit; businesses: a home-based business shown at its desa point gets its
public point recomputed); it returns how many public points changed. The report
tile cells (tiles app triggers) count by location, category, status and
confidentiality, not by desa: an update of the desa leaves them unchanged.
"""
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from common.citus import local_execution_on

from .models import Edition
from .selectors import edition_current, points_assign_settings, points_assign_sql


@dataclass
class TableResult:
    table: str
    points: int = 0
    updated: int = 0  # rows whose desa, kecamatan or approximate flag changes
    desa_changed: int = 0  # rows whose desa code changes
    outside: int = 0  # outside the current edition's coverage, left as they were
    moves: Counter = field(default_factory=Counter)  # (old code, new code) -> rows


@dataclass
class ReassignResult:
    edition: Edition
    tables: list[TableResult]
    committed: bool = False
    public_points_changed: int = 0


@dataclass(frozen=True)
class PointTable:
    """A model with location, desa, kecamatan and location_approximate."""
    model: type
    on_reassigned: Callable[[list], int]


_tables: list[PointTable] = []


def register_point_table(model, *, on_reassigned: Callable[[list], int]) -> None:
    """Re-assign `model`'s points with every run (in order of registration);
    call from AppConfig.ready(). Registering a model twice is a no-op."""
    if all(t.model is not model for t in _tables):
        _tables.append(PointTable(model=model, on_reassigned=on_reassigned))


# Raw SQL: the assignment is a CTE over the whole table, compared with the
# stored foreign keys; the ORM cannot join a CTE. Table names come from the
# models' _meta, never from input.
_PLAN_SQL = """
CREATE TEMP TABLE geo_reassign ON COMMIT DROP AS
WITH assigned AS ({assign})
SELECT t.id, od.code AS old_code, nd.code AS new_code, nd.id AS new_desa_id,
       nd.parent_id AS new_kecamatan_id, a.approximate AS new_approximate,
       (nd.id IS NOT NULL AND (t.desa_id, t.kecamatan_id, t.location_approximate)
            IS DISTINCT FROM (nd.id, nd.parent_id, a.approximate)) AS changes
  FROM {table} t
  LEFT JOIN assigned a ON a.key = t.id
  LEFT JOIN geo_area nd ON nd.edition_id = %(edition)s AND nd.code = a.code
  LEFT JOIN geo_area od ON od.id = t.desa_id
 WHERE t.location IS NOT NULL
"""

_UPDATE_SQL = """
UPDATE {table} t
   SET desa_id = r.new_desa_id, kecamatan_id = r.new_kecamatan_id, location_approximate = r.new_approximate
  FROM geo_reassign r
 WHERE r.id = t.id AND r.changes
RETURNING t.id
"""


class _DryRun(Exception):
    pass


def run(*, commit: bool = False, edition: Edition | None = None) -> ReassignResult:
    """Re-assign report and business points to `edition` (the current one by
    default); write only with commit=True."""
    edition = edition or edition_current()
    if edition is None:
        raise ValueError("no current edition")
    result = ReassignResult(edition=edition, tables=[])
    changed: list[tuple[PointTable, list]] = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # geo_reassign is TEMP; reports, then businesses are updated (common.citus).
            local_execution_on(cursor, sequential=True)
            for target in _tables:
                model = target.model
                table = connection.ops.quote_name(model._meta.db_table)
                counts = TableResult(table=model._meta.db_table)
                assign, params = points_assign_sql(
                    source_sql=f"SELECT id, ST_X(location), ST_Y(location) FROM {table} WHERE location IS NOT NULL",
                    edition=edition)
                cursor.execute("DROP TABLE IF EXISTS pg_temp.geo_reassign")
                with points_assign_settings(cursor):
                    cursor.execute(_PLAN_SQL.format(assign=assign, table=table), params)
                cursor.execute("""
                    SELECT count(*), count(*) FILTER (WHERE changes),
                           count(*) FILTER (WHERE changes AND old_code IS DISTINCT FROM new_code),
                           count(*) FILTER (WHERE new_desa_id IS NULL)
                      FROM geo_reassign""")
                counts.points, counts.updated, counts.desa_changed, counts.outside = cursor.fetchone()
                cursor.execute("""
                    SELECT old_code, new_code, count(*) FROM geo_reassign
                     WHERE changes AND old_code IS DISTINCT FROM new_code
                     GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""")
                counts.moves = Counter({(o, n): c for o, n, c in cursor.fetchall()})
                if commit and counts.updated:
                    cursor.execute(_UPDATE_SQL.format(table=table))
                    changed.append((target, [r[0] for r in cursor.fetchall()]))
                cursor.execute("DROP TABLE pg_temp.geo_reassign")
                result.tables.append(counts)
            if not commit:
                raise _DryRun
            result.public_points_changed = sum(target.on_reassigned(ids) for target, ids in changed)
    except _DryRun:
        pass
    result.committed = commit
    return result
