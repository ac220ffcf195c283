"""Precomputed public aggregates.

Counting 1,000,000 reports into fixed cells takes seconds, too slow for every
OGC page or tile of the `report-counts` layer. The cells are therefore kept
in `ReportCountCell`, rebuilt in one statement by
layers.services.report_counts_refresh: on the first read after a report
changed (the reports app's `report_changed` signal marks the summary dirty),
at most once per LAYERS_REPORT_COUNTS_MIN_INTERVAL_S, and at least daily.
The published layer (suppression, zero cells, geometry) is built on read by
layers.registry from these raw counts.
"""
from django.conf import settings
from django.db import models


class ReportCountCell(models.Model):
    area = models.ForeignKey("geo.Area", on_delete=models.CASCADE, related_name="+",
                             help_text="Desa for desa-level categories, kecamatan for kecamatan-only ones.")
    category_code = models.CharField(max_length=50)
    month = models.DateField(help_text="First day of the month, Asia/Pontianak.")
    n = models.PositiveIntegerField(help_text="Raw count: never published below the threshold.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "category_code", "month"],
                                               name="layers_reportcountcell_unique")]


class SummaryState(models.Model):
    name = models.CharField(max_length=50, unique=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    dirty = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class PlannerAccess(models.Model):
    """Every planner read of report-derived aggregates (statistics, hotspots):
    who, what, with which parameters, when (issue 16: planners aggregate
    P2-P3 sources; the DPO can see who asked what)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    endpoint = models.CharField(max_length=50)
    params = models.JSONField(default=dict)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    accessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accessed_at"]
