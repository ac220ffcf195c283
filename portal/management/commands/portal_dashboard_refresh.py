from django.core.management.base import BaseCommand

from portal import services


class Command(BaseCommand):
    help = "Recompute the public dashboard figures (/dasbor/, /peta/jumlah.json) now."

    def handle(self, *args, **options):
        snapshot = services.dashboard_snapshot_refresh(wait=True)
        self.stdout.write(f"dashboard figures computed at {snapshot.computed_at:%Y-%m-%d %H:%M:%S} "
                          f"in {snapshot.duration_ms} ms")
