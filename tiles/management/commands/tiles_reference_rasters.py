"""tiles_reference_rasters [--cell-m 200]: build the rasters derived from the
real boundary data (today: jarak-pusat-desa, tiles.reference)."""
from django.core.management.base import BaseCommand, CommandError

from tiles.reference import desa_distance_build


class Command(BaseCommand):
    help = "Build the reference rasters from the loaded boundaries (distance to the nearest desa centre)."

    def add_arguments(self, parser):
        parser.add_argument("--cell-m", type=float, default=200.0)

    def handle(self, *args, cell_m, **options):
        if not 10 <= cell_m <= 5000:
            raise CommandError("need 10 <= cell-m <= 5000")
        raster = desa_distance_build(cell_m=cell_m)
        if raster is None:
            raise CommandError("no desa boundaries or centres loaded: run geo_load_kubu_raya --commit first")
        self.stdout.write(f"{raster.name}: {raster.path} ({raster.minimum:.2f}-{raster.maximum:.2f} {raster.unit})")
