"""Background jobs of agency datasets (Celery; inline without a broker)."""
from celery import shared_task

from common.jobs import RETRY


@shared_task(name="datasets.refresh_reminders", **RETRY)
def refresh_reminders() -> int:
    """Scheduled daily by beat (CELERY_BEAT_SCHEDULE): producers of berkala
    datasets hear that the 6-month refresh (Pasal 9) is near, due or late.
    Idempotent: datasets.RefreshReminder records what was sent."""
    from . import services

    return len(services.refresh_reminders_send(commit=True))
