"""What planners may aggregate (domain.md 7.2 "Perencana: agregat saja").

Planners count and cluster reports of categories whose counts may be
published at all (`Category.aggregate_level` desa or kecamatan; the class of
the single case may be P0..P3, e.g. "warga sakit" is P3 for the case and
countable per desa). Rejected and merged reports are left out, and so are
confidential P0 reports (they are not public points either). The source
exposes only (id, geom, category_code, status, created_at, desa_id,
publication_class, aggregate_level): no text, no reporter, no subject.
Points of this source never leave as points: the planner module returns
counts (cells holding non-P0 reports below the threshold as "<5"; desa
cells only for desa-level categories) and cluster polygons of at least 5
reports, buffered so that no vertex is a report location.
"""
from django.db.models import F

# Category.AggregateLevel values (reports.models).
AGGREGATE_DESA, AGGREGATE_KECAMATAN, AGGREGATE_NONE = "desa", "kecamatan", "none"


def planner_report_source():
    """PointSource of reports for planners."""
    from layers.planner import PointSource
    from reports.policy import HIDDEN_STATUSES
    from reports.models import Report

    qs = (Report.objects
          .exclude(category__aggregate_level=AGGREGATE_NONE)
          .exclude(status__in=HIDDEN_STATUSES)
          # A confidential P0 report is not on the map: counted, it would be
          # the difference between a count and the public points (issue 16).
          .exclude(category__publication_class="P0", confidential=True)
          .order_by()
          .values("id", "status", "created_at", "desa_id", geom=F("location"),
                  category_code=F("category__code"), publication_class=F("category__publication_class"),
                  aggregate_level=F("category__aggregate_level")))
    sql, params = qs.query.sql_with_params()
    return PointSource(sql=sql, params=list(params))
