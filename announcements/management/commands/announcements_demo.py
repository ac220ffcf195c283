from django.core.management.base import BaseCommand

from announcements.demo import demo_announcements_create


class Command(BaseCommand):
    help = "Demo announcements and subscriptions (synthetic, marked); idempotent."

    def handle(self, *args, **options):
        made = demo_announcements_create()
        self.stdout.write(f"announcements: {made} demo announcements published")
