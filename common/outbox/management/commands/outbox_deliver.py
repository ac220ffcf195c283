"""Deliver due outbox messages now (cron without a worker, or by hand)."""
from django.core.management.base import BaseCommand

from common import outbox


class Command(BaseCommand):
    help = "Deliver due outbox messages; prints how many were delivered and how many are still pending."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, limit, **options):
        delivered = outbox.deliver_due(limit=limit)
        count, oldest = outbox.pending()
        age = "-" if oldest is None else f"{oldest:.0f} s"
        self.stdout.write(f"delivered {delivered}; pending {count} (oldest {age})")
