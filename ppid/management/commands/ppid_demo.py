from django.core.management.base import BaseCommand

from ppid.demo import DEMO_REQUESTER, demo_request_create


class Command(BaseCommand):
    help = "File the demo requester's sample information request (after demo_users); idempotent."

    def handle(self, *args, **options):
        if demo_request_create():
            self.stdout.write(f"demo request of {DEMO_REQUESTER}: filed")
        else:
            self.stdout.write(f"no account {DEMO_REQUESTER}: run demo_users first")
