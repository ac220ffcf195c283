from django.core.management.base import BaseCommand

from reports.notifications import notifications_retry


class Command(BaseCommand):
    help = "Send again every report notification left unsent."

    def handle(self, *args, **options):
        self.stdout.write(f"still unsent: {notifications_retry()}")
