"""Notifications: the agency of each new report (e-mail + optional webhook),
the reporter of each public status change, the reporters of merged reports.

Each one is a message of the transactional outbox (common.outbox), written by
reports.services in the transaction of the change that causes it, so a
committed report always has its notification and a rolled-back write sends
nothing. One message per external effect (the agency's e-mail and its webhook
are two), keyed like its NotificationLog row: the outbox hands the key to the
handlers below, a handler sends once per key (a repeated delivery after a
crash finds the log row sent) and raises when the send failed, so the outbox
retries it with backoff. Content comes from
reports.policy.report_notification_summary: for P1-P3 reports only the
tracking code and a link leave the service.
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
    from reports.policy import report_notification_summary
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


def notify_agency_new_report(*, report_id, channels=("mail", "hook")) -> bool:
    """Tell the report's agency (its e-mail and/or webhook); True when sent (now or before)."""
    report = Report.objects.select_related("category", "desa", "agency").filter(id=report_id).first()
    if report is None or report.agency is None:
        return True
    agency = report.agency
    summary = _summary(report)
    sent = True
    if agency.email and "mail" in channels:
        sent &= _deliver(f"agency-mail:{report.id}:{agency.id}", lambda: send_mail(
            subject=f"[RT Online] Laporan baru {report.tracking_code}",
            message="Ada laporan baru untuk instansi Anda.\n\n" + _lines(summary),
            from_email=None, recipient_list=[agency.email]))
    if agency.webhook_url and "hook" in channels:
        sent &= _deliver(f"agency-hook:{report.id}:{agency.id}", lambda: _webhook_post(
            agency.webhook_url, {"event": "report.assigned", "agency": agency.code, **summary}))
    return sent


def notify_reporter_status(*, report_id, event_id) -> bool:
    event = ReportEvent.objects.filter(id=event_id, report_id=report_id).first()
    if event is None or not event.public or not event.to_status:
        return True
    report = Report.objects.select_related("category", "desa", "reporter").get(id=report_id)
    reporter = report.reporter
    if report.anonymous or reporter is None or not reporter.email:
        return True
    summary = _summary(report)
    summary["status"] = event.to_status
    return _deliver(f"reporter-status:{event.id}", lambda: send_mail(
        subject=f"[RT Online] Status laporan {report.tracking_code}: {event.to_status}",
        message="Status laporan Anda berubah.\n\n" + _lines(summary),
        from_email=None, recipient_list=[reporter.email]))


def notify_merged(*, report_id, master_id) -> bool:
    report = Report.objects.select_related("category", "desa", "reporter").filter(id=report_id).first()
    master = Report.objects.filter(id=master_id).first()
    if report is None or master is None or report.anonymous or report.reporter is None or not report.reporter.email:
        return True
    summary = _summary(report)
    return _deliver(f"merged:{report.id}", lambda: send_mail(
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


# --- Outbox (common.outbox) -------------------------------------------------------
# Kinds and keys; a key names one external effect and is also its NotificationLog key.
AGENCY_MAIL, AGENCY_HOOK = "reports.agency_mail", "reports.agency_hook"
REPORTER_STATUS, MERGED = "reports.reporter_status", "reports.merged"


class NotificationFailed(Exception):
    """Raised by a handler whose send failed: the outbox retries it later."""


def agency_messages(report, agency) -> list[tuple[str, dict, str]]:
    """(kind, payload, key) of the messages telling `agency` of `report`."""
    payload = {"report_id": str(report.id), "agency_id": agency.id}
    messages = []
    if agency.email:
        messages.append((AGENCY_MAIL, payload, f"agency-mail:{report.id}:{agency.id}"))
    if agency.webhook_url:
        messages.append((AGENCY_HOOK, payload, f"agency-hook:{report.id}:{agency.id}"))
    return messages


def _sent(ok: bool, key: str) -> None:
    if not ok:
        entry = NotificationLog.objects.filter(key=key).first()
        raise NotificationFailed(entry.last_error if entry else key)


def _agency_handler(channel: str):
    def handle(payload: dict, *, key: str) -> None:
        report = Report.objects.filter(id=payload["report_id"]).only("agency_id").first()
        if report is None or report.agency_id != payload["agency_id"]:
            return  # re-routed since: the new agency has its own message
        _sent(notify_agency_new_report(report_id=payload["report_id"], channels=(channel,)), key)
    return handle


def _reporter_status_handler(payload: dict, *, key: str) -> None:
    _sent(notify_reporter_status(report_id=payload["report_id"], event_id=payload["event_id"]), key)


def _merged_handler(payload: dict, *, key: str) -> None:
    _sent(notify_merged(report_id=payload["report_id"], master_id=payload["master_id"]), key)


def outbox_register() -> None:
    """Called from ReportsConfig.ready()."""
    from common import outbox

    outbox.register(AGENCY_MAIL, _agency_handler("mail"))
    outbox.register(AGENCY_HOOK, _agency_handler("hook"))
    outbox.register(REPORTER_STATUS, _reporter_status_handler)
    outbox.register(MERGED, _merged_handler)
