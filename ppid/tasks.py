"""Background jobs of the PPID (Celery; inline without a broker). Each calls
ppid.services and is idempotent: reminders are recorded per deadline per day
(ppid.Reminder), requester notices per event (common.jobs.job_once)."""
from celery import shared_task

from common.jobs import RETRY


@shared_task(name="ppid.send_reminders", **RETRY)
def send_reminders(within_working_days: int = 2) -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): PPID officers and the atasan
    PPID hear of deadlines due within two working days or passed."""
    from . import services

    return len(services.reminders_send(within_working_days=within_working_days, commit=True))


@shared_task(name="ppid.notify_requester", **RETRY)
def notify_requester(request_id: int, event: str, objection_id: int | None = None) -> bool:
    from . import services

    return services.requester_notify(request_id=request_id, event=event, objection_id=objection_id)
