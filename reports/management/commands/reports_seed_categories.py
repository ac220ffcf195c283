from django.core.management.base import BaseCommand

from reports.services import categories_seed


class Command(BaseCommand):
    help = "Create the RT Online taxonomy (domain.md 7.3) and its routing rules; idempotent."

    def handle(self, *args, **options):
        counts = categories_seed()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
