"""Celery tasks of the outbox: the kick after a commit and the periodic sweep.

Neither retries through Celery: a failed delivery is rescheduled on its row
(backoff) and the next sweep takes it; a lost task loses nothing.
"""
from celery import shared_task
from django.conf import settings


@shared_task(name="outbox.deliver", ignore_result=True)
def deliver(key: str) -> bool:
    from common import outbox

    return outbox.deliver(key)


@shared_task(name="outbox.sweep", ignore_result=True)
def sweep() -> int:
    from common import outbox

    return outbox.deliver_due(limit=getattr(settings, "OUTBOX_SWEEP_LIMIT", 1000))
