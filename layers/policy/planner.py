"""What planners may aggregate (domain.md 7.2 "Perencana: agregat saja").

Planners count and cluster reports of P0 and P1 categories; P2/P3 categories
and every personal field stay out. The source exposes only (id, geom,
category_code, status, created_at, desa_id, publication_class): no text, no
reporter, no subject. Points of this source never leave as points: the
planner module returns counts (P1 cells below the threshold as "<5") and
cluster polygons of at least 5 reports, buffered so that no vertex is a
report location.
"""
from django.db.models import F

from layers.policy.classes import PublicationClass

PLANNER_CLASSES = [PublicationClass.P0, PublicationClass.P1]
HIDDEN_STATUSES = ["rejected", "merged"]


def planner_report_source():
    """PointSource of reports for planners, or None while the reports app has
    no Report model."""
    try:
        from reports.models import Report
    except ImportError:
        return None
    from layers.planner import PointSource

    qs = (Report.objects
          .filter(category__publication_class__in=PLANNER_CLASSES)
          .exclude(status__in=HIDDEN_STATUSES)
          .order_by()
          .values("id", "status", "created_at", "desa_id", geom=F("location"),
                  category_code=F("category__code"), publication_class=F("category__publication_class")))
    sql, params = qs.query.sql_with_params()
    return PointSource(sql=sql, params=list(params))
