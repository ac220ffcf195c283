"""announcements_vapid_keys [--path .state/vapid.json] [--force]: the demo's
Web Push VAPID key pair (announcements.vapid); prints the public key only."""
from django.conf import settings
from django.core.management.base import BaseCommand

from announcements.vapid import vapid_keys_write


class Command(BaseCommand):
    help = "Write a Web Push VAPID key pair into .state/vapid.json once (demo and development; never committed)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(settings.STATE_DIR / "vapid.json"))
        parser.add_argument("--force", action="store_true", help="Replace an existing pair (subscriptions made "
                                                                  "with the old public key stop receiving pushes).")

    def handle(self, *args, path, force, **options):
        keys, written = vapid_keys_write(path, force=force)
        self.stdout.write(f"{'wrote' if written else 'kept'} {path}: public key {keys['public_key']}")
