"""Notifications: the agency of each new report (e-mail + optional webhook),
the reporter of each public status change, the reporters of merged reports.

Queued by reports.services through common.jobs.enqueue (ops.tasks), so
nothing is sent for a rolled-back
write. Each function takes ids only and is idempotent (NotificationLog keys),
so a task queue can call it again safely; failures are retried a few times
in-process and left unsent in the log for `reports_notify_retry`.
Content comes from layers.policy.reports.report_notification_summary: for
P1-P3 reports only the tracking code and a link leave the service.
"""
import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import NotificationLog, Report, ReportEvent

log = logging.getLogger(__name__)


def _deliver(key: str, send) -> bool:
    """Run `send` once per key; True when it has been sent (now or before)."""
    # Two statements instead of get_or_create's five (savepoint, select,
    # insert, release): insert-if-absent, then read the row either way.
    NotificationLog.objects.bulk_create([NotificationLog(key=key)], ignore_conflicts=True)
    entry = NotificationLog.objects.get(key=key)
    if entry.sent_at:
        return True
    for _attempt in range(settings.REPORTS_NOTIFY_ATTEMPTS):
        entry.attempts += 1
        try:
            send()
        except Exception as exc:  # noqa: BLE001 - any delivery failure is retried, then logged
            entry.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("notification %s failed (attempt %d): %s", key, entry.attempts, entry.last_error)
            continue
        entry.sent_at = timezone.now()
        entry.last_error = ""
        break
    entry.save(update_fields=["attempts", "sent_at", "last_error"])
    return entry.sent_at is not None


def _summary(report: Report) -> dict:
    from layers.policy.reports import report_notification_summary
    return report_notification_summary(report)


def _lines(summary: dict) -> str:
    lines = [f"Kode laporan: {summary['tracking_code']}", f"Status: {summary['status']}"]
    for label, key in (("Kategori", "category"), ("Desa", "desa"), ("Uraian", "description")):
        if summary.get(key):
            lines.append(f"{label}: {summary[key]}")
    lines.append(f"Buka: {summary['link']}")
    return "\n".join(lines)


def _webhook_post(url: str, payload: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=settings.REPORTS_WEBHOOK_TIMEOUT) as response:  # noqa: S310
        if response.status >= 300:
            raise OSError(f"webhook answered {response.status}")


def notify_agency_new_report(*, report_id) -> None:
    report = Report.objects.select_related("category", "desa", "agency").filter(id=report_id).first()
    if report is None or report.agency is None:
        return
    agency = report.agency
    summary = _summary(report)
    if agency.email:
        _deliver(f"agency-mail:{report.id}:{agency.id}", lambda: send_mail(
            subject=f"[RT Online] Laporan baru {report.tracking_code}",
            message="Ada laporan baru untuk instansi Anda.\n\n" + _lines(summary),
            from_email=None, recipient_list=[agency.email]))
    if agency.webhook_url:
        _deliver(f"agency-hook:{report.id}:{agency.id}", lambda: _webhook_post(
            agency.webhook_url, {"event": "report.assigned", "agency": agency.code, **summary}))


def notify_reporter_status(*, report_id, event_id) -> None:
    event = ReportEvent.objects.filter(id=event_id, report_id=report_id).first()
    if event is None or not event.public or not event.to_status:
        return
    report = Report.objects.select_related("category", "desa", "reporter").get(id=report_id)
    reporter = report.reporter
    if report.anonymous or reporter is None or not reporter.email:
        return
    summary = _summary(report)
    summary["status"] = event.to_status
    _deliver(f"reporter-status:{event.id}", lambda: send_mail(
        subject=f"[RT Online] Status laporan {report.tracking_code}: {event.to_status}",
        message="Status laporan Anda berubah.\n\n" + _lines(summary),
        from_email=None, recipient_list=[reporter.email]))


def notify_merged(*, report_id, master_id) -> None:
    report = Report.objects.select_related("category", "desa", "reporter").filter(id=report_id).first()
    master = Report.objects.filter(id=master_id).first()
    if report is None or master is None or report.anonymous or report.reporter is None or not report.reporter.email:
        return
    summary = _summary(report)
    _deliver(f"merged:{report.id}", lambda: send_mail(
        subject=f"[RT Online] Laporan {report.tracking_code} digabung",
        message=("Laporan Anda digabung dengan laporan lain tentang masalah yang sama; "
                 "perkembangan dapat diikuti melalui tautan berikut.\n\n" + _lines(summary)),
        from_email=None, recipient_list=[report.reporter.email]))


def notifications_retry() -> int:
    """Send again every notification left unsent; returns how many are still unsent."""
    pending = 0
    for entry in NotificationLog.objects.filter(sent_at__isnull=True):
        kind, *ids = entry.key.split(":")
        if kind in ("agency-mail", "agency-hook"):
            notify_agency_new_report(report_id=ids[0])
        elif kind == "reporter-status":
            event = ReportEvent.objects.filter(id=ids[0]).first()
            if event:
                notify_reporter_status(report_id=event.report_id, event_id=event.id)
        elif kind == "merged":
            report = Report.objects.filter(id=ids[0]).first()
            if report and report.merged_into_id:
                notify_merged(report_id=report.id, master_id=report.merged_into_id)
        entry.refresh_from_db()
        pending += entry.sent_at is None
    return pending
