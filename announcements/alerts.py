"""FixMyStreet-style report alerts: a new public report within a subscribed
circle or area, and changes of one followed report. Only public (P0, not
hidden) reports alert anyone, and a message carries the category, the desa,
the status and the tracking link, never the description or the reporter.
Hooked on reports.signals.report_changed (after the commit)."""
from django.db import connection, transaction
from django.utils import timezone

from common import outbox

from .models import Delivery  # noqa: F401 - the table written below

NEW_REPORT_SQL = """
INSERT INTO announcements_delivery (report_event_id, subscription_id, status, attempts, not_before, last_error,
                                    regency_code)
SELECT %(event)s, s.id, 'pending', 0, %(now)s, '', s.regency_code
  FROM announcements_subscription AS s
 WHERE s.active AND s.wants_reports
   AND ((s.target = 'point' AND s.reach && %(p)s::geometry AND ST_Intersects(s.reach, %(p)s::geometry))
        OR (s.target = 'area' AND s.area_code = ANY(%(codes)s)))
ON CONFLICT DO NOTHING
"""

FOLLOWED_SQL = """
INSERT INTO announcements_delivery (report_event_id, subscription_id, status, attempts, not_before, last_error,
                                    regency_code)
SELECT %(event)s, s.id, 'pending', 0, %(now)s, '', s.regency_code
  FROM announcements_subscription AS s
 WHERE s.active AND s.target = 'report' AND s.report_id = %(report)s
ON CONFLICT DO NOTHING
"""


def alerts_plan(*, report_id, created: bool, now=None) -> int:
    from reports.policy import reports_public
    from reports.models import ReportEvent

    now = now or timezone.now()
    report = reports_public().filter(id=report_id).first()
    if report is None:
        return 0
    event = (ReportEvent.objects.filter(report_id=report.id, public=True).order_by("-created_at", "-id").first())
    if event is None:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        if created:
            codes = [report.desa.code, report.desa.code.rsplit(".", 1)[0]]
            cursor.execute(NEW_REPORT_SQL, {"event": event.id, "now": now, "codes": codes,
                                            "p": bytes(report.location.ewkb).hex()})
        else:
            cursor.execute(FOLLOWED_SQL, {"event": event.id, "now": now, "report": report.id})
        planned = cursor.rowcount
        if planned:
            outbox.enqueue("announcements.deliver", {"report_event_id": event.id},
                           key=f"announcements:report-event:{event.id}")
    return planned


def on_report_changed(sender, report_id, old_location=None, new_location=None, **kwargs):
    import logging
    try:
        alerts_plan(report_id=report_id, created=old_location is None and new_location is not None)
    except Exception:  # noqa: BLE001 - an alert must never break the report's workflow
        logging.getLogger(__name__).exception("report alerts for %s failed", report_id)
