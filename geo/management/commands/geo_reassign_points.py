"""Re-assign report and business points to the current edition (geo.reassign)."""
from django.core.management.base import BaseCommand

from geo import reassign


class Command(BaseCommand):
    help = ("Re-assign reports and businesses to the desa and kecamatan of the current edition, by the "
            "lookup rule. Dry run by default; --commit writes, in one transaction.")

    def add_arguments(self, parser):
        parser.add_argument("--commit", action="store_true", help="Write the changes (default: dry run).")
        parser.add_argument("--limit", type=int, default=20, help="Old -> new desa pairs listed per table.")

    def handle(self, *args, **o):
        result = reassign.run(commit=o["commit"])
        self.stdout.write(f"edition: {result.edition.slug} ({result.edition.name})")
        for t in result.tables:
            self.stdout.write(f"{t.table}: points={t.points} updated={t.updated} desa_changed={t.desa_changed} "
                              f"outside_coverage_unchanged={t.outside}")
            for (old, new), n in list(t.moves.items())[: o["limit"]]:
                self.stdout.write(f"  {old or '-'} -> {new}: {n}")
            if len(t.moves) > o["limit"]:
                self.stdout.write(f"  ... {len(t.moves) - o['limit']} more pairs")
        if result.committed:
            self.stdout.write(f"public points of home-based businesses changed: {result.public_points_changed}")
        self.stdout.write("[committed]" if result.committed else "[dry run: nothing written; --commit to write]")
