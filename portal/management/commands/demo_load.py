from django.core.management import call_command
from django.core.management.base import BaseCommand

# Each app's synthetic-data command; all are idempotent (they top up to N).
GENERATORS = [
    ("reports_generate_synthetic", "reports"),
    ("businesses_generate_synthetic", "businesses"),
    ("demo_users", None),
    ("ppid_demo", None),
    ("announcements_demo", None),
    # Rasters of /peta/ (media/rasters, never committed): one built from the
    # real boundaries, and the report-density surfaces of the reports above.
    ("tiles_reference_rasters", None),
    ("tiles_density_refresh", None),
]


class Command(BaseCommand):
    help = "Load the demo data set (synthetic, clearly marked) on top of the real boundaries; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=3000)
        parser.add_argument("--businesses", type=int, default=2000)

    def handle(self, *args, **options):
        for command, size_option in GENERATORS:
            kwargs = {"target": options[size_option]} if size_option else {}
            call_command(command, stdout=self.stdout, **kwargs)
