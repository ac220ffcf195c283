"""Celery task: send due announcement deliveries (also run by beat every minute)."""
from celery import shared_task


@shared_task(name="announcements.deliver")
def deliver_announcements() -> dict:
    from .delivery import deliveries_run

    return deliveries_run()
