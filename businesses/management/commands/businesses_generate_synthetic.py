from django.core.management.base import BaseCommand
from tqdm import tqdm

from businesses.synthetic import businesses_generate_synthetic, synthetic_count


class Command(BaseCommand):
    help = "Top up to N synthetic businesses (is_synthetic=True), clustered around desa centres; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--target", type=int, required=True)
        parser.add_argument("--seed", type=int, default=4)

    def handle(self, *args, target, seed, **options):
        missing = max(target - synthetic_count(), 0)
        with tqdm(total=missing, unit="usaha", disable=options["verbosity"] < 1 or not missing) as bar:
            added = businesses_generate_synthetic(target=target, seed=seed, progress=bar.update)
        self.stdout.write(f"synthetic businesses: added {added}, total {synthetic_count()}")
