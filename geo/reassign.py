"""Re-assign stored points to the desa and kecamatan of the current edition.

After a new boundary edition becomes current, reports and businesses still
point at the areas of the edition they were assigned in. `run` re-assigns
every point set-based, by the lookup rule of geo.selectors (the same SQL as
points_assign_desa), in one transaction: desa, kecamatan (the desa's parent,
from the code) and the approximate flag. A point outside the current
edition's coverage keeps its assignment and is counted. A dry run computes
the same summary and rolls back. Running it again changes nothing.

After a commit, derived data is brought in step: the report-count summary is
marked dirty and its tiles invalidated (reports.signals.report_changed, as
any report write does); a home-based business without consent to show its
exact point is shown at its desa point, so its public point is recomputed
and its tiles invalidated (businesses.signals.business_changed). The report
tile cells (tiles app triggers) count by location, category, status and
confidentiality, not by desa: an update of the desa leaves them unchanged.
"""
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction

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


def _targets():
    # Imported here: geo is the base app; the point tables belong to others.
    from businesses.models import Business
    from reports.models import Report

    return [Report, Business]


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
    changed_business_ids: list = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for model in _targets():
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
                    ids = [r[0] for r in cursor.fetchall()]
                    if model._meta.label == "businesses.Business":
                        changed_business_ids = ids
                cursor.execute("DROP TABLE pg_temp.geo_reassign")
                result.tables.append(counts)
            if not commit:
                raise _DryRun
            result.public_points_changed = _refresh_business_public_points(changed_business_ids)
            if any(t.updated for t in result.tables if t.table == "reports_report"):
                _report_counts_changed()
    except _DryRun:
        pass
    result.committed = commit
    return result


def _refresh_business_public_points(ids: list) -> int:
    """A home-based business shown at its desa point: recompute the public
    point through the businesses app (publication policy) after its desa
    changed, and invalidate its tiles on commit."""
    if not ids:
        return 0
    from businesses.models import Business
    from businesses.services import _refresh_public_location, _send_changed
    from geo.selectors import desa_centroids

    desa_points = {code: (lon, lat) for code, lon, lat in desa_centroids()}
    changed = 0
    for business in Business.objects.filter(id__in=ids, is_home_based=True).select_related("desa"):
        old = business.public_location
        _refresh_public_location(business, desa_points=desa_points)
        new = business.public_location
        if old is None or not old.equals_exact(new, 1e-12):
            business.save(update_fields=["public_location", "public_location_exact"])
            _send_changed(business.id, (old.x, old.y) if old else None, (new.x, new.y))
            changed += 1
    return changed


def _report_counts_changed() -> None:
    """The per-desa report counts (layers) are derived from desa_id: mark them
    dirty and drop their cached tiles, as every report write does."""
    from reports.models import Report
    from reports.signals import report_changed

    transaction.on_commit(lambda: report_changed.send(
        sender=Report, report_id=None, old_location=None, new_location=None))
