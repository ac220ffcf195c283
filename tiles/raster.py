"""Raster tiles, point values and zonal statistics from Cloud-Optimised
GeoTIFFs (rio-tiler's shape; style.md example 7).

Tiles are read through rio-tiler (WarpedVRT to EPSG:3857 over a window, the
overview that fits the zoom, the nodata mask as alpha), so a tile outside the
raster raises TileOutsideBounds (the view answers 404). Every dataset is
opened in a `with` block; views never touch rasterio.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.windows
from django.conf import settings
from django.db import transaction
from rasterio.features import geometry_mask
from rasterio.warp import transform_bounds, transform_geom
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles
from rio_tiler.colormap import cmap
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from tiles import cache
from tiles.models import Raster

__all__ = ["TileOutsideBounds", "raster_register", "raster_tile", "raster_value", "raster_zonal_stats"]


def cache_name(name: str) -> str:
    """The tile-cache name of a raster (never a layer id: those have no '@')."""
    return f"@{name}"


def raster_dir() -> Path:
    path = Path(settings.TILES_RASTER_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _band_stats(path: Path) -> tuple[float | None, float | None]:
    with rasterio.open(path) as src:
        # The smallest overview is enough for a display range.
        level = src.overviews(1)[-1] if src.overviews(1) else 1
        data = src.read(1, masked=True, out_shape=(max(1, src.height // level), max(1, src.width // level)))
    if data.count() == 0:
        return None, None
    return float(data.min()), float(data.max())


@transaction.atomic
def raster_register(*, name: str, source_path: Path | str, title: str = "", unit: str = "",
                    attribution: str = "", kind: str = Raster.Kind.REGISTERED) -> Raster:
    """Convert `source_path` to a COG with internal overviews (DEFLATE,
    512-px blocks) under TILES_RASTER_DIR/<name>.tif and record it. Replacing
    a raster invalidates its cached tiles."""
    source_path = Path(source_path)
    target = raster_dir() / f"{name}.tif"
    tmp = target.with_name(f".{name}.tmp.tif")
    profile = cog_profiles.get("deflate")
    profile.update(blockxsize=512, blockysize=512)
    with rasterio.open(source_path) as src:
        cog_translate(src, tmp, profile, overview_resampling="average" if src.dtypes[0].startswith("float")
                      else "nearest", quiet=True, in_memory=True)
    tmp.replace(target)
    with rasterio.open(target) as cog:
        west, south, east, north = transform_bounds(cog.crs, "EPSG:4326", *cog.bounds, densify_pts=21)
        fields = dict(crs=cog.crs.to_string(), west=west, south=south, east=east, north=north,
                      nodata=cog.nodata, dtype=cog.dtypes[0], band_count=cog.count)
    minimum, maximum = _band_stats(target)
    raster, _ = Raster.objects.update_or_create(
        name=name, defaults=dict(title=title or name, kind=kind, path=str(target), source=str(source_path),
                                 minimum=minimum, maximum=maximum, unit=unit, attribution=attribution,
                                 **fields))
    transaction.on_commit(lambda: cache.tiles_invalidate_layer(cache_name(name)))
    return raster


@dataclass(frozen=True)
class RenderOptions:
    rescale: tuple[float, float] | None = None
    colormap: str | None = None
    tilesize: int = 256

    @classmethod
    def parse(cls, query: dict) -> "RenderOptions":
        """?rescale=min,max&colormap_name=viridis&tilesize=256|512;
        ValueError on anything else."""
        rescale = None
        if query.get("rescale"):
            low, high = (float(v) for v in query["rescale"].split(","))
            if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
                raise ValueError("rescale")
            rescale = (low, high)
        name = query.get("colormap_name") or query.get("colormap")
        if name and name not in cmap.list():
            raise ValueError("colormap_name")
        tilesize = int(query.get("tilesize") or 256)
        if tilesize not in (256, 512):
            raise ValueError("tilesize")
        return cls(rescale=rescale, colormap=name or None, tilesize=tilesize)

    def key(self) -> str:
        return f"{self.rescale}|{self.colormap}|{self.tilesize}"


def raster_tile(*, raster: Raster, tile_z: int, tile_x: int, tile_y: int,
                options: RenderOptions = RenderOptions()) -> bytes:
    """A PNG tile; nodata pixels are transparent. Single-band rasters are
    stretched from `rescale` (default: the band's min..max) to 0..255, then
    coloured with the colour map if one is given."""
    with Reader(raster.path) as src:
        image = src.tile(tile_x, tile_y, tile_z, tilesize=options.tilesize, indexes=1 if raster.band_count
                         in (1, 2) else (1, 2, 3))
    low_high = options.rescale or (raster.minimum, raster.maximum)
    if image.count == 1 and low_high[0] is not None and (image.data.dtype != np.uint8 or options.rescale):
        low, high = low_high
        if high == low:
            high = low + 1
        image = image.rescale(in_range=((low, high),))
    colormap = cmap.get(options.colormap) if options.colormap else None
    return image.render(img_format="PNG", colormap=colormap)


def raster_value(*, raster: Raster, lon: float, lat: float) -> list[float | None] | None:
    """Band values at a point (EPSG:4326), None per band where nodata; None
    when the point is outside the raster."""
    if not (raster.west <= lon <= raster.east and raster.south <= lat <= raster.north):
        return None
    with Reader(raster.path) as src:
        try:
            point = src.point(lon, lat)
        except Exception as exc:  # rio-tiler raises PointOutsideBounds
            if type(exc).__name__ == "PointOutsideBounds":
                return None
            raise
    array = point.array  # masked where nodata
    return [None if bool(np.ma.getmaskarray(array)[i]) else float(array[i]) for i in range(array.shape[0])]


def raster_zonal_stats(*, raster: Raster, zones: list[tuple[str, str, dict]],
                       threshold: float | None = None) -> list[dict]:
    """Band-1 statistics per zone: zones are (code, name, GeoJSON geometry in
    EPSG:4326). A pixel belongs to a zone when its centre is inside the
    polygon (rasterio's default rasterisation); nodata pixels are left out.
    `share_above` is the fraction of counted pixels strictly above
    `threshold`, and `area_above_km2` their area when the CRS is metric."""
    out = []
    with rasterio.open(raster.path) as src:
        metric = src.crs.is_projected
        pixel_km2 = abs(src.transform.a * src.transform.e) / 1e6 if metric else None
        for code, name, geometry in zones:
            geom = transform_geom("EPSG:4326", src.crs, geometry)
            row = {"code": code, "name": name, "count": 0, "min": None, "mean": None, "max": None}
            if threshold is not None:
                row.update(share_above=None, area_above_km2=None)
            xs, ys = _coords(geom)
            window = _window_of(src, min(xs), min(ys), max(xs), max(ys))
            if window is None:
                out.append(row)
                continue
            data = src.read(1, window=window, masked=True)
            outside = geometry_mask([geom], out_shape=data.shape, transform=src.window_transform(window))
            values = np.ma.masked_array(data, mask=np.ma.getmaskarray(data) | outside).compressed().astype("float64")
            if values.size:
                row.update(count=int(values.size), min=float(values.min()), mean=float(values.mean()),
                           max=float(values.max()))
                if threshold is not None:
                    above = int((values > threshold).sum())
                    row["share_above"] = above / values.size
                    row["area_above_km2"] = above * pixel_km2 if metric else None
            out.append(row)
    return out


def _window_of(src, minx, miny, maxx, maxy):
    """The pixel window covering a box in the raster's CRS, clipped to the
    raster; None when they do not overlap."""
    inverse = ~src.transform
    cols, rows = zip(*(inverse * (x, y) for x in (minx, maxx) for y in (miny, maxy)))
    col0, col1 = max(0, math.floor(min(cols))), min(src.width, math.ceil(max(cols)))
    row0, row1 = max(0, math.floor(min(rows))), min(src.height, math.ceil(max(rows)))
    if col1 <= col0 or row1 <= row0:
        return None
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _coords(geom: dict):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for part in c:
                walk(part)

    walk(geom["coordinates"])
    return xs, ys
