"""Reads of the tiles app."""
import json

from geo.models import Area
from geo.selectors import areas_list
from tiles.models import Raster


def raster_get(*, name: str) -> Raster | None:
    return Raster.objects.filter(name=name).first()


def rasters_list():
    return Raster.objects.all()


def rasters_offered() -> list[Raster]:
    """The rasters a map may offer: registered ones whose COG is on disk (a
    row whose file is gone would answer every tile with an error)."""
    from pathlib import Path

    return [r for r in Raster.objects.order_by("kind", "name") if r.path and Path(r.path).is_file()]


def zones_for(*, level: str) -> list[tuple[str, str, dict]]:
    """(code, name, GeoJSON geometry in EPSG:4326) of the areas of a level in
    the current edition that have a boundary (public data)."""
    areas = areas_list(level=level).filter(boundary__isnull=False).select_related("boundary")
    return [(a.code, a.name, json.loads(a.boundary.geom.geojson)) for a in areas]


ZONE_LEVELS = (Area.Level.DESA, Area.Level.KECAMATAN)


def density_categories() -> list[str]:
    """Codes of the categories whose reports are published as points."""
    from layers.policy import tiles as tiles_policy

    return tiles_policy.point_category_codes()
