from django.core.management.base import BaseCommand

from reports.synthetic import reports_generate_synthetic


class Command(BaseCommand):
    help = "Top up to N synthetic reports (is_synthetic=True), clustered around desa centres; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--target", type=int, required=True)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=50_000)

    def handle(self, *args, target, seed, batch_size, verbosity, **options):
        log = self.stdout.write if verbosity > 1 else None
        counts = reports_generate_synthetic(target=target, seed=seed, batch_size=batch_size, log=log)
        self.stdout.write(f"synthetic reports: {counts['total']} (inserted {counts['inserted']}, "
                          f"dropped outside coverage {counts['skipped']})")
