from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """A side effect that must happen, written in the transaction that causes it.

    `key` is unique: enqueueing the same key twice keeps one row, and the
    handler receives it so that a delivery repeated after a crash has one
    effect. A row is pending while `delivered_at` is null; `due_at` moves on
    with each failed attempt (backoff). Rows are never deleted by delivery.
    """

    kind = models.CharField(max_length=100)
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox_message"
        indexes = [models.Index(fields=["due_at"], name="outbox_pending_due",
                                condition=Q(delivered_at__isnull=True))]

    def __str__(self):
        return f"{self.kind}:{self.key}"


class JobReceipt(models.Model):
    """One row per piece of work done by a background job, keyed by what it did.

    A job that may run twice (a retried Celery task, a beat run overlapping the
    previous one, a worker killed after the work but before the ack) claims its
    key first and skips work whose key is already done: at-least-once delivery,
    exactly-once effect.
    """

    key = models.CharField(max_length=200, unique=True)
    task = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "ops_jobreceipt"  # its table since it lived in ops (issue 24 moved it below the apps)

    def __str__(self):
        return self.key
