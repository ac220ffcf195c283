"""Rebuild the precomputed report counts of the `report-counts` layer (cron:
daily; reads also refresh them after a report changed). `--if-due` is the
periodic job (Celery beat): it rebuilds only when a report changed, the
counts are a day old or a new month began."""
from django.core.management.base import BaseCommand

from layers.services import report_counts_refresh


class Command(BaseCommand):
    help = "Rebuild the precomputed report counts (layer report-counts)."

    def add_arguments(self, parser):
        parser.add_argument("--if-due", action="store_true",
                            help="rebuild only when due (a report changed, a day passed or a month began)")

    def handle(self, *args, **options):
        if options["if_due"]:
            rebuilt = report_counts_refresh()  # not forced: only when due
            self.stdout.write("report counts rebuilt" if rebuilt else "report counts current: not rebuilt")
            return
        rebuilt = report_counts_refresh(force=True)
        self.stdout.write("report counts rebuilt" if rebuilt else "nothing to rebuild (no reports app, or busy)")
