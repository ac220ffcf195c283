"""Create (or reuse) a user holding every role, for fuzzing; prints its API token.

Refuses to run with production settings: such a user must never exist there.
"""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a fuzzing user with every role (never in production); print its API token."

    def handle(self, *args, **options):
        if settings.SETTINGS_MODULE.endswith("production"):
            raise CommandError("ops_fuzz_user is for test databases only")
        from rest_framework.authtoken.models import Token

        from accounts.models import Membership, Role
        from geo.models import Agency, Area

        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="fuzz-all-roles")
        agency = Agency.objects.order_by("id").first()
        area = Area.objects.filter(level="desa").order_by("code").first()
        for role in Role.values:
            Membership.objects.get_or_create(user=user, role=role, agency=agency if agency else None,
                                             area=area)
        self.stdout.write(Token.objects.get_or_create(user=user)[0].key)
