from django.core.management.base import BaseCommand

from reports.demo import DEMO_OPEN311_KEY, DEMO_PASSWORD, demo_users_create


class Command(BaseCommand):
    help = "Create the demo accounts (known password, for the demo only); idempotent."

    def handle(self, *args, **options):
        for username, role, description in demo_users_create():
            self.stdout.write(f"{username:24} {role:14} {description}")
        self.stdout.write(f"password for all: {DEMO_PASSWORD}; Open311 api_key: {DEMO_OPEN311_KEY}")
