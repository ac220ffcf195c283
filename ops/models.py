from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat's `ops.heartbeat` task: the
    broker, beat and a worker all work end to end (read by /readyz)."""

    name = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
