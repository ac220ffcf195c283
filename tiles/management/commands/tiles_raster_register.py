"""tiles_raster_register <name> <path.tif> [--title T] [--unit U] [--attribution A]"""
from pathlib import Path

import rasterio
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from tiles.raster import raster_register


class Command(BaseCommand):
    help = "Convert a GeoTIFF to a Cloud-Optimised GeoTIFF with overviews and serve it as raster tiles."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("path")
        parser.add_argument("--title", default="")
        parser.add_argument("--unit", default="")
        parser.add_argument("--attribution", default="")

    def handle(self, *args, name, path, title, unit, attribution, **options):
        if slugify(name) != name:
            raise CommandError("name must be a slug, e.g. flood-hazard")
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        try:
            raster = raster_register(name=name, source_path=path, title=title, unit=unit, attribution=attribution)
        except rasterio.errors.RasterioIOError as exc:
            raise CommandError(f"{path}: not a raster GDAL can read ({exc})")
        self.stdout.write(f"registered {raster.name}: {raster.path} ({raster.crs}, {raster.dtype}, "
                          f"bounds {raster.west:.5f},{raster.south:.5f},{raster.east:.5f},{raster.north:.5f}, "
                          f"range {raster.minimum}..{raster.maximum})")
