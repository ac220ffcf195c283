"""What the public dashboard (/dasbor/) may show of the reports: aggregates
only (issue 16: nothing here can be differenced against another output).

- status, agency, totals and P0 category-months are computed over the public
  view reports_public_report only (the points on the map): they say nothing
  the map does not; small counts still show "<5";
- per desa, per kecamatan and the category-months of aggregate-only (P1-P3)
  categories are sums of the rounded base cells, the same numbers as the
  counts API, OGC report-counts and tiles (layers.policy.counts).

Former rules kept below for the public view's figures:

Rules (domain.md 7.3, 7.5):
- by status, by category and month, by agency: regency-wide totals of every
  category, suppressed; a rate or a median is published only when the group
  it is computed from has at least SMALL_COUNT_THRESHOLD reports;
- per kecamatan and per desa: the aggregate-only categories (P1-P3) counted
  down to each category's aggregate level (health visits per desa, violence
  only per kecamatan, none for categories never aggregated), the same rule
  as report_counts_public; P0 reports are never in these counts: they are
  public one by one on the map, and a total mixing them with restricted ones
  would let the restricted count be recovered by subtracting the points;
- merged reports are counted once, in the report they were merged into.

One scan of reports_report with GROUPING SETS computes every figure, so the
dashboard stays one statement at 1,000,000 reports.
"""
import datetime

from django.db import connection
from django.utils import timezone

from common.publication import SMALL_COUNT_THRESHOLD, PublicationClass, suppress

OPEN_STATUSES = ("received", "verified", "dispatched", "in_progress")

# Raw SQL: GROUPING SETS over a join is one pass over a million rows; the ORM
# would need one aggregate query per figure (six scans).
_FIGURES_SQL = """
WITH r AS (
    SELECT r.status, r.category_id, r.agency_id, r.desa_id, r.kecamatan_id, c.publication_class,
           c.aggregate_level,
           date_trunc('month', r.created_at AT TIME ZONE 'Asia/Pontianak')::date AS month,
           r.resolved_at IS NOT NULL AS is_resolved,
           EXTRACT(EPOCH FROM (r.resolved_at - r.created_at)) / 86400.0 AS days_to_resolve,
           (r.resolved_at IS NOT NULL AND r.deadline IS NOT NULL
            AND (r.resolved_at AT TIME ZONE 'Asia/Pontianak')::date <= r.deadline) AS within_deadline,
           (r.resolved_at IS NULL AND r.deadline IS NOT NULL AND r.deadline < %(today)s
            AND r.status = ANY(%(open)s)) AS is_overdue
      FROM reports_public_report r
      JOIN reports_category c ON c.id = r.category_id
     WHERE r.created_at >= %(since)s
)
SELECT GROUPING(status) = 0 AS by_status, GROUPING(month) = 0 AS by_month,
       GROUPING(agency_id) = 0 AS by_agency, GROUPING(desa_id) = 0 AS by_desa,
       GROUPING(kecamatan_id) = 0 AS by_kecamatan,
       status, category_id, month, agency_id, desa_id, kecamatan_id,
       count(*) AS n,
       count(*) FILTER (WHERE is_resolved) AS resolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_resolve) AS median_days,
       count(*) FILTER (WHERE within_deadline) AS within_deadline,
       count(*) FILTER (WHERE is_overdue) AS overdue,
       count(*) FILTER (WHERE publication_class <> 'P0' AND aggregate_level = 'desa') AS n_desa,
       count(*) FILTER (WHERE publication_class <> 'P0' AND aggregate_level IN ('desa', 'kecamatan')) AS n_kecamatan
  FROM r
 GROUP BY GROUPING SETS ((status), (category_id, month), (agency_id), (desa_id), (kecamatan_id), ())
"""


def _months_back(today: datetime.date, months: int) -> datetime.date:
    year, month = today.year, today.month - months + 1
    while month <= 0:
        month += 12
        year -= 1
    return datetime.date(year, month, 1)


def dashboard_report_figures(*, months: int = 12, today: datetime.date | None = None) -> dict:
    """Every report figure of the dashboard, already suppressed."""
    today = today or timezone.localdate()
    since = _months_back(today, months)
    empty = {"total": 0, "by_status": {}, "by_category_month": {}, "months": [], "by_agency": {},
             "by_desa": {}, "by_kecamatan": {}}
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL, {
            "today": today, "open": list(OPEN_STATUSES),
            "since": timezone.make_aware(datetime.datetime.combine(since, datetime.time()))})
        rows = cursor.fetchall()
    figures = dict(empty)
    figures["by_status"], figures["by_category_month"] = {}, {}
    figures["by_agency"], figures["by_desa"], figures["by_kecamatan"] = {}, {}, {}
    month_list = []
    d = since
    while d <= today:
        month_list.append(d)
        d = datetime.date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    figures["months"] = month_list
    for (by_status, by_month, by_agency, by_desa, by_kecamatan, status, category_id, month, agency_id,
         desa_id, kecamatan_id, n, resolved, median_days, within, overdue, n_desa, n_kecamatan) in rows:
        if by_status:
            figures["by_status"][status] = suppress(n)
        elif by_month:
            figures["by_category_month"].setdefault(category_id, {})[month] = suppress(n)
        elif by_agency:
            enough = resolved >= SMALL_COUNT_THRESHOLD
            figures["by_agency"][agency_id] = {
                "received": suppress(n), "resolved": suppress(resolved),
                "median_days": round(median_days, 1) if enough and median_days is not None else None,
                "within_deadline_pct": round(100.0 * within / resolved) if enough else None,
                "overdue": suppress(overdue),
            }
        elif by_desa:
            if desa_id is not None:
                figures["by_desa"][desa_id] = suppress(n_desa)
        elif by_kecamatan:
            if kecamatan_id is not None:
                figures["by_kecamatan"][kecamatan_id] = suppress(n_kecamatan)
        else:
            figures["total"] = suppress(n)
    _restricted_figures(figures, since)
    return figures


def _restricted_figures(figures: dict, since: datetime.date) -> None:
    """Per desa, per kecamatan and per category-month counts of the
    aggregate-only categories: sums of the rounded base cells
    (layers.policy.counts.report_counts_public), the same numbers as the
    counts API, OGC report-counts and its tiles."""
    from geo.models import Area
    from reports.models import Category

    from layers.services import report_counts_refresh

    from .counts import report_counts_public, report_counts_restricted

    # The dashboard is itself a snapshot (every few minutes): bring the base
    # cells up to date first when they are due (dirty past the interval).
    report_counts_refresh()
    desa = report_counts_restricted(level="desa")
    kecamatan = report_counts_restricted(level="kecamatan")
    ids = dict(Area.objects.filter(code__in=set(desa) | set(kecamatan), edition__is_current=True)
               .values_list("code", "id"))
    figures["by_desa"] = {ids[code]: n for code, n in desa.items() if code in ids}
    figures["by_kecamatan"] = {ids[code]: n for code, n in kecamatan.items() if code in ids}
    restricted = dict(Category.objects.filter(is_active=True).exclude(publication_class=PublicationClass.P0)
                      .values_list("code", "id"))
    for row in report_counts_public(group_by="category,month"):
        category_id = restricted.get(row["category"]["code"])
        month = datetime.date.fromisoformat(row["month"] + "-01")
        if category_id is not None and month >= since:
            figures["by_category_month"].setdefault(category_id, {})[month] = row["count"]
