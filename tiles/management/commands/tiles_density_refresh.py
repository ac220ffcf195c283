"""tiles_density_refresh [--category CODE ...] [--bandwidth-m 500] [--cell-m 100]"""
from django.core.management.base import BaseCommand, CommandError

from tiles.density import density_refresh
from tiles.selectors import density_categories


class Command(BaseCommand):
    help = "Recompute the report-density COG of each public category (kernel density in metres)."

    def add_arguments(self, parser):
        parser.add_argument("--category", action="append", default=[],
                            help="Category code (repeatable); default: every category published as points.")
        parser.add_argument("--bandwidth-m", type=float, default=500.0)
        parser.add_argument("--cell-m", type=float, default=100.0)

    def handle(self, *args, category, bandwidth_m, cell_m, **options):
        if bandwidth_m <= 0 or cell_m <= 0 or cell_m > bandwidth_m:
            raise CommandError("need 0 < cell-m <= bandwidth-m")
        public = density_categories()
        codes = category or public
        refused = sorted(set(codes) - set(public))
        if refused:
            raise CommandError(f"not published as points (no density surface): {', '.join(refused)}")
        for code in codes:
            raster = density_refresh(category=code, bandwidth_m=bandwidth_m, cell_m=cell_m)
            if raster is None:
                raise CommandError("the reports layer is not published")
            self.stdout.write(f"density-{code}: {raster.path} (max {raster.maximum or 0:.2f} {raster.unit})")
