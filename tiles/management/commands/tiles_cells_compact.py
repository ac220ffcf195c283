"""Fold the appended rows of each report cell into one (tiles.aggregates)."""
from django.core.management.base import BaseCommand

from tiles.aggregates import cells_compact


class Command(BaseCommand):
    help = "Compact the precomputed report cells: one row per cell (readers are exact either way)."

    def handle(self, *args, **options):
        result = cells_compact()
        if result is None:
            self.stdout.write("another compaction is running; skipped")
        else:
            self.stdout.write(f"report cells: {result[0]:,} rows folded into {result[1]:,}")
