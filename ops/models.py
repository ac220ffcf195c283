from django.db import models


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

    def __str__(self):
        return self.key


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat's `ops.heartbeat` task: the
    broker, beat and a worker all work end to end (read by /readyz)."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
