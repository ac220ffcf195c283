"""The portal's own data: precomputed public figures."""
from django.db import models


class FiguresSnapshot(models.Model):
    """Published figures computed ahead of the request (portal.services).

    `data` holds only what the publication policy already let out (counts
    suppressed below 5, no P2/P3 area figures), so reading it needs no policy
    of its own. One row per key; the dashboard reads the row of "dashboard",
    which portal_dashboard_refresh rewrites every PORTAL_FIGURES_REFRESH_SECONDS
    (Celery beat) or, without a broker, the first request that finds it stale.
    """

    key = models.CharField(max_length=40, unique=True)
    computed_at = models.DateTimeField(help_text="When the figures were read from the reports.")
    duration_ms = models.PositiveIntegerField(default=0, help_text="How long computing them took.")
    data = models.JSONField()

    def __str__(self):
        return f"{self.key} @ {self.computed_at:%Y-%m-%d %H:%M}"
