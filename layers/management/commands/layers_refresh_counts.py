"""Rebuild the precomputed report counts of the `report-counts` layer (cron:
daily; reads also refresh them after a report changed)."""
from django.core.management.base import BaseCommand

from layers.services import report_counts_refresh


class Command(BaseCommand):
    help = "Rebuild the precomputed report counts (layer report-counts)."

    def handle(self, *args, **options):
        rebuilt = report_counts_refresh(force=True)
        self.stdout.write("report counts rebuilt" if rebuilt else "nothing to rebuild (no reports app, or busy)")
