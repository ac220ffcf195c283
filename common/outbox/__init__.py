"""Transactional outbox: side effects that must happen, stored with their cause.

    from common import outbox

    outbox.register("reports.agency_new", handler)      # from an AppConfig.ready()
    with transaction.atomic():
        report.save()
        outbox.enqueue("reports.agency_new", {"report_id": str(report.id)},
                       key=f"agency-new:{report.id}:{report.agency_id}")
    outbox.deliver_due(limit=100)                        # the worker's loop body

`enqueue` writes one `outbox_message` row on the caller's connection, so it
commits or rolls back with the caller's transaction: a committed cause always
has its message, a rolled-back one never does. The key is unique; enqueueing
a key again keeps the first row (and its payload).

Delivery calls `handler(payload, key=key)` once per claimed row. A row is
claimed with SELECT ... FOR UPDATE SKIP LOCKED inside its own transaction:
concurrent workers never take the same row, and a worker that dies mid-call
releases it (its connection goes), so the row is delivered again later, with
the same key: handlers must be idempotent by key (e.g. reports'
NotificationLog). A handler that raises leaves the row pending, its database
writes rolled back, and due again after a backoff (OUTBOX_BACKOFF_SECONDS
doubling up to OUTBOX_BACKOFF_MAX_SECONDS); a row is never dropped.

Who delivers: after the commit a best-effort kick sends the Celery task
`outbox.deliver` for the key (run inline when there is no broker or the
broker is unreachable); beat runs `outbox.sweep` every OUTBOX_SWEEP_SECONDS
for anything a lost kick, a dead worker or a failed attempt left behind; the
`outbox_deliver` management command does the same from cron or by hand.
"""
import datetime
import logging
import random
from typing import Callable

log = logging.getLogger(__name__)

Handler = Callable[..., object]
_handlers: dict[str, Handler] = {}

KEY_MAX = 200
KIND_MAX = 100


def register(kind: str, handler: Handler) -> None:
    """Deliver messages of `kind` with `handler(payload: dict, *, key: str)`."""
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"outbox kind must be 1-{KIND_MAX} characters")
    _handlers[kind] = handler


def enqueue(kind: str, payload: dict, *, key: str) -> None:
    """Store a message in the current transaction; kick its delivery after the commit."""
    from django.db import transaction
    from django.utils import timezone

    from .models import OutboxMessage

    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"outbox kind must be 1-{KIND_MAX} characters")
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"outbox key must be 1-{KEY_MAX} characters")
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, key=key, payload=payload, created_at=now, due_at=now)], ignore_conflicts=True)
    transaction.on_commit(lambda: kick(key), robust=True)


def prepare(kind: str, payload: dict, *, key: str):
    """An unsaved message for a caller that inserts it in its own statement
    (e.g. with the rows that cause it, in one round trip); its kick is
    registered for the commit. Prefer `enqueue` unless a round trip matters."""
    from django.db import transaction
    from django.utils import timezone

    from .models import OutboxMessage

    if not kind or len(kind) > KIND_MAX or not key or len(key) > KEY_MAX:
        raise ValueError(f"outbox kind (1-{KIND_MAX}) and key (1-{KEY_MAX} characters) required")
    now = timezone.now()
    transaction.on_commit(lambda: kick(key), robust=True)
    return OutboxMessage(kind=kind, key=key, payload=payload, created_at=now, due_at=now)


def kick(key: str) -> None:
    """Best effort: ask a worker to deliver `key` now (inline without a broker).
    Losing the kick loses nothing: the sweep finds the row."""
    from common.jobs import _send

    from . import tasks

    _send(tasks.deliver, (key,), {})


def backoff_seconds(attempts: int) -> float:
    """Wait before the next attempt after `attempts` failed ones (with jitter)."""
    from django.conf import settings

    base = getattr(settings, "OUTBOX_BACKOFF_SECONDS", 10)
    cap = getattr(settings, "OUTBOX_BACKOFF_MAX_SECONDS", 3600)
    wait = min(cap, base * 2 ** max(0, attempts - 1))
    return wait * random.uniform(0.8, 1.0)  # noqa: S311 - jitter, not a secret


def _deliver_one(*, now: datetime.datetime | None, key: str | None) -> bool | None:
    """Claim one due row (of `key` if given) and deliver it: True delivered,
    False failed (retried later), None nothing to claim."""
    from django.db import transaction
    from django.utils import timezone

    from .models import OutboxMessage

    with transaction.atomic():
        at = now or timezone.now()
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            delivered_at__isnull=True, due_at__lte=at)
        if key is not None:
            rows = rows.filter(key=key)
        message = rows.order_by("due_at", "id").first()
        if message is None:
            return None
        handler = _handlers.get(message.kind)
        error = ""
        if handler is None:
            error = f"no handler registered for kind {message.kind!r}"
        else:
            try:
                with transaction.atomic():  # a failing handler's writes roll back, the attempt is kept
                    handler(message.payload, key=message.key)
            except Exception as exc:  # noqa: BLE001 - any failure is retried later
                error = f"{type(exc).__name__}: {exc}"[:2000] or type(exc).__name__
        message.attempts += 1
        if error:
            message.last_error = error
            message.due_at = at + datetime.timedelta(seconds=backoff_seconds(message.attempts))
            log.warning("outbox %s %s failed (attempt %d): %s", message.kind, message.key, message.attempts, error)
        else:
            message.last_error = ""
            message.delivered_at = now or timezone.now()
        message.save(update_fields=["attempts", "last_error", "due_at", "delivered_at"])
    from .metrics import OUTBOX_DELIVERIES

    OUTBOX_DELIVERIES.labels(message.kind, "failure" if error else "success").inc()
    return not error


def deliver(key: str, *, now: datetime.datetime | None = None) -> bool:
    """Deliver the message `key` if it is pending, due and not being delivered
    elsewhere; True when this call delivered it."""
    return bool(_deliver_one(now=now, key=key))


def deliver_due(limit: int = 100, *, now: datetime.datetime | None = None) -> int:
    """Deliver up to `limit` due messages, oldest due first; returns how many
    were delivered (failures are rescheduled and not retried in this call)."""
    delivered = 0
    for _ in range(limit):
        outcome = _deliver_one(now=now, key=None)
        if outcome is None:
            break
        delivered += outcome
    return delivered


def pending(*, now: datetime.datetime | None = None) -> tuple[int, float | None]:
    """Undelivered messages and the age in seconds of the oldest (None if none)."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from .models import OutboxMessage

    row = OutboxMessage.objects.filter(delivered_at__isnull=True).aggregate(n=Count("id"), oldest=Min("created_at"))
    if not row["n"]:
        return 0, None
    return row["n"], max(0.0, ((now or timezone.now()) - row["oldest"]).total_seconds())
