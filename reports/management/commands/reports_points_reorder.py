"""Put reports_public_point back in spatial order (reports.points_order):
nightly by the beat entry `reports-points-reorder`, or by hand after many
reports arrived."""
from django.core.management.base import BaseCommand

from reports.points_order import public_points_reorder


class Command(BaseCommand):
    help = "Rebuild reports_public_point (the tiles' and items' narrow copy) in spatial order."

    def add_arguments(self, parser):
        parser.add_argument("--lock-timeout-ms", type=int, default=5000,
                            help="give up (and try again next time) when a lock is not had within this")

    def handle(self, *args, **options):
        result = public_points_reorder(lock_timeout_ms=options["lock_timeout_ms"])
        if result.get("skipped"):
            self.stdout.write(f"reports_public_point: {result['skipped']}, nothing to order")
            return
        self.stdout.write(f"reports_public_point: {result['rows']} rows in spatial order; projection writes waited "
                          f"{result['writes_blocked_s']} s, reads {result['reads_blocked_s']} s "
                          f"(built in {result['build_s']} s; {result['caught_up']} rows caught up, "
                          f"{result['deleted']} deleted)")
