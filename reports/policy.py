"""What of a report may leave the service, to whom (domain.md 7.3, 7.5).

Nothing else in the project filters Report for the public. The rules:
- single reports are public only in P0 categories, never when rejected or
  merged, and never with the reporter's identity or the reported person's
  data; the description is withheld when the reporter asked for
  confidentiality (it may identify them); photos are not published (faces
  are not blurred yet);
- P1-P3 categories are public only as counts, with small-count suppression
  (< 5 shown as "<5"), and only down to the category's aggregate level
  (violence, crime, maladministration: kecamatan only);
- public notes are published for P0/P1 reports that are not confidential;
- the tracking view (someone holding the tracking code) shows status and
  dates for every class, and location, agency and notes only for P0.
"""
import datetime

from django.db.models import QuerySet
from django.conf import settings
from django.utils import timezone

from common import regency
from common.scrub import scrub
from common.publication import PublicationClass
from reports.models import Category, PublicReport, Report, ReportEvent
from reports.selectors import report_dispute_window_open

# Statuses whose reports are never public: the one definition in Python (the
# tile cells' filter and the planner's source import it; the view
# reports_public_report, reports migration 0008, says the same in SQL).
HIDDEN_STATUSES = (Report.Status.REJECTED, Report.Status.MERGED)
OPEN311_CLOSED = (Report.Status.RESOLVED, Report.Status.REJECTED, Report.Status.MERGED)


def _iso(dt):
    return timezone.localtime(dt).isoformat() if dt else None


def _area(area):
    return {"code": area.code, "name": area.name} if area is not None else None


def _category(category: Category) -> dict:
    return {"code": category.code, "name_id": category.name_id, "name_en": category.name_en}


def reports_public() -> QuerySet[PublicReport]:
    """Reports the public may see as points: the database view (PublicReport),
    never Report."""
    return PublicReport.objects.select_related("category", "desa", "kecamatan", "agency")


def category_points_public(category: Category) -> bool:
    """Whether reports of `category` are published as points (what
    reports_public selects): Open311 offers only these services."""
    return category.publication_class == PublicationClass.P0 and not category.force_confidential


def report_is_public(report: Report) -> bool:
    """Whether the report is in the public projection (the one definition:
    reports_public(), the view)."""
    return reports_public().filter(id=report.id).exists()


def report_public_get(report_id) -> PublicReport | None:
    """The public projection of one report, or None when it is not public."""
    return reports_public().filter(id=report_id).first()


def report_public_dict(report: PublicReport) -> dict:
    """The public fields of a report from reports_public() (the view): the
    point is the snapped public point, the description the scrubbed one."""
    if not isinstance(report, PublicReport):
        raise TypeError("report_public_dict takes a PublicReport (the public projection), not a Report")
    return {
        "id": str(report.id),
        "category": _category(report.category),
        "status": report.status,
        "status_open311": "closed" if report.status in OPEN311_CLOSED else "open",
        "lon": round(report.location.x, 6),
        "lat": round(report.location.y, 6),
        "desa": _area(report.desa),
        "kecamatan": _area(report.kecamatan),
        "agency": {"code": report.agency.code, "name": report.agency.name} if report.agency else None,
        "description": report.description,
        "created_at": _iso(report.created_at),
        "updated_at": _iso(report.updated_at),
        "resolved_at": _iso(report.resolved_at),
        "deadline": report.deadline.isoformat(),
        "supporters_count": report.supporters_count,
    }


OPEN_STATUSES = [s for s in Report.Status.values if s not in Report.CLOSED_STATUSES]


def report_candidates_public(*, category: Category, lon: float, lat: float, exclude_id=None, limit: int = 10,
                             now=None) -> list[tuple[PublicReport, float]]:
    """Open public reports of the category's code within its duplicate radius
    and window of the PUBLIC point, nearest first, with the distance in metres
    to the public point. Which reports are listed, and their distances, depend
    only on public points: probing from many places cannot trilaterate a
    captured point."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.geos import Point, Polygon

    from reports.selectors import bbox_margin_deg

    if not category.duplicate_radius_m:
        return []
    since = (now or timezone.now()) - datetime.timedelta(days=category.duplicate_window_days)
    point = Point(lon, lat, srid=4326)
    m = bbox_margin_deg(lat=lat, metres=category.duplicate_radius_m)
    box = Polygon.from_bbox((lon - m, lat - m, lon + m, lat + m))
    box.srid = 4326
    qs = (reports_public().filter(category__code=category.code, status__in=OPEN_STATUSES, created_at__gte=since,
                                  location__bboverlaps=box)
          .annotate(distance=Distance("location", point)).order_by("distance", "id"))
    if exclude_id:
        qs = qs.exclude(id=exclude_id)
    found = []
    for r in qs[:limit * 4]:
        d = r.distance.m
        if d <= category.duplicate_radius_m:
            found.append((r, round(d, 1)))
    return found[:limit]


def report_tracking_dict(report: Report) -> dict:
    """The view of someone holding the tracking code."""
    open_class = report.category.publication_class == PublicationClass.P0
    body = {
        "tracking_code": report.tracking_code,
        "category": _category(report.category),
        "status": report.status,
        "status_open311": "closed" if report.status in OPEN311_CLOSED else "open",
        "created_at": _iso(report.created_at),
        "updated_at": _iso(report.updated_at),
        "resolved_at": _iso(report.resolved_at),
        "deadline": report.deadline.isoformat(),
        "merged_into": report.merged_into.tracking_code if report.merged_into_id and open_class else None,
        "timeline": report_timeline_public(report),
    }
    if open_class:
        body.update(desa=_area(report.desa), kecamatan=_area(report.kecamatan),
                    agency={"code": report.agency.code, "name": report.agency.name} if report.agency else None)
    return body


def report_track_public(*, tracking_code: str, user=None) -> dict | None:
    """report_tracking_dict of the report with this tracking code, or None;
    `can_dispute` is true only for its signed-in reporter while a resolution
    may still be disputed (REPORTS_DISPUTE_DAYS after it)."""
    # The merged-into report (rare) is read on its own: on Citus a join of two
    # distributed tables by id alone is refused.
    report = regency.by_tracking_code(Report.objects.select_related("category", "desa", "kecamatan", "agency"),
                                      tracking_code.strip().upper())
    if report is None:
        return None
    body = report_tracking_dict(report)
    body["can_dispute"] = report_can_dispute(report, user)
    return body


def report_can_dispute(report: Report, user) -> bool:
    if user is None or not user.is_authenticated or report.reporter_id != user.id:
        return False
    if report.status != Report.Status.RESOLVED or report.resolved_at is None:
        return False
    return report_dispute_window_open(report)


def report_notes_public(report) -> bool:
    if isinstance(report, PublicReport):
        return True  # the view holds P0 reports that are not confidential
    return (report.category.publication_class in (PublicationClass.P0, PublicationClass.P1)
            and not report.confidential)


def report_timeline_public(report: Report) -> list[dict]:
    """Public timeline entries: status changes for every class; note text
    only for P0/P1 reports that are not confidential (a P2/P3 note may
    describe the case, a note on a confidential report may name the
    reporter). Never an author."""
    show_notes = report_notes_public(report)
    events = ReportEvent.objects.filter(report=report, public=True).exclude(
        kind__in=[ReportEvent.Kind.SUPPORT]).order_by("created_at", "id")
    return [{"kind": e.kind, "from_status": e.from_status or None, "to_status": e.to_status or None,
             "note": e.note if show_notes else "", "at": _iso(e.created_at)} for e in events]


def report_receipt_dict(report: Report, *, duplicates=None) -> dict:
    """The submission response (also for an idempotent retry, to the same
    caller only). Duplicate candidates come from the public projection
    (report_candidates_public), not from the internal duplicate check: their
    distances are to public points. `duplicates` may pass them precomputed."""
    if duplicates is None:
        duplicates = report_candidates_public(category=report.category, lon=report.location.x,
                                              lat=report.location.y, exclude_id=report.id, limit=5)
    return {
        "id": str(report.id),
        "tracking_code": report.tracking_code,
        "status": report.status,
        "category": report.category.code,
        "desa": _area(report.desa),
        "kecamatan": _area(report.kecamatan),
        "agency": {"code": report.agency.code, "name": report.agency.name} if report.agency else None,
        "deadline": report.deadline.isoformat(),
        "duplicates": [
            {"id": str(d.id), "status": d.status, "distance_m": dist, "supporters_count": d.supporters_count,
             "created_at": _iso(d.created_at)}
            for d, dist in duplicates
        ],
    }


def report_notification_summary(report: Report) -> dict:
    """What an e-mail or webhook may carry: for P1-P3 only the tracking code
    and a link; for P0 also category, desa and (unless confidential) the
    description."""
    link = f"{settings.REPORTS_PUBLIC_BASE_URL}/lacak/{report.tracking_code}/"
    summary = {"tracking_code": report.tracking_code, "link": link, "status": report.status,
               "report_id": str(report.id)}
    if report.category.publication_class == PublicationClass.P0:
        summary.update(category=report.category.name_id, desa=report.desa.name if report.desa_id else "",
                       description="" if report.confidential else scrub(report.description))
    return summary


def report_photos_public(*, report_id) -> list:
    """The photos of a report the public may see: only through the public
    projection of photos (reports_public_photo: marked public by the handling
    agency's staff, of a report in reports_public_report)."""
    from reports.models import PublicReportPhoto

    return list(PublicReportPhoto.objects.filter(report_id=report_id).order_by("public_approved_at", "id"))


def report_photo_public(*, report_id, photo_id: int):
    """One public photo of the report, or None."""
    from reports.models import PublicReportPhoto

    return PublicReportPhoto.objects.filter(report_id=report_id, id=photo_id).first()
