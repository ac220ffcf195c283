"""A reference raster built from the real boundary data (no file is
committed): the distance, in km, from every 200 m cell of the regency's land
to the nearest desa centre of the official Kemendagri list (the desa's
`source_centroid`), computed in UTM 49S (EPSG:32749, metres). Cells outside
every desa polygon are nodata (transparent on the map).

It is what a planner reads as "how far is this place from its village
centre" (service reach, posyandu and school siting), and it is the demo's
real raster layer next to the computed report-density surfaces: `make demo`
builds it (`tiles_reference_rasters`), the map offers it once its COG exists.
"""
from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from django.db import connection
from rasterio.features import geometry_mask
from rasterio.transform import from_origin

from tiles.density import METRIC_SRID, _regency_box_metric
from tiles.models import Raster
from tiles.raster import raster_register

DISTANCE_NAME = "jarak-pusat-desa"
NODATA = -1.0

_CURRENT_DESA = (" FROM geo_area a JOIN geo_edition ed ON ed.id = a.edition_id AND ed.is_current"
                 " WHERE a.level = 'desa'")


def _desa_centres_metric() -> np.ndarray:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(a.source_centroid, %s) AS p"
                       + _CURRENT_DESA + " AND a.source_centroid IS NOT NULL) AS q", [METRIC_SRID])
        return np.array(cursor.fetchall(), dtype="float64").reshape(-1, 2)


def _desa_shapes_metric() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsGeoJSON(ST_Transform(b.geom, %s))" + _CURRENT_DESA.replace(
            " WHERE", " JOIN geo_areaboundary b ON b.area_id = a.id WHERE"), [METRIC_SRID])
        return [json.loads(row[0]) for row in cursor.fetchall()]


def nearest_distance_km(xs: np.ndarray, ys: np.ndarray, centres: np.ndarray, *, rows: int = 64) -> np.ndarray:
    """Distance (km) from each grid point (xs by column, ys by row) to the
    nearest centre, in row blocks (memory: rows x columns x centres)."""
    out = np.empty((ys.size, xs.size), dtype="float32")
    cx, cy = centres[:, 0], centres[:, 1]
    dx2 = (xs[:, None] - cx[None, :]) ** 2  # columns x centres
    for start in range(0, ys.size, rows):
        dy2 = (ys[start:start + rows, None] - cy[None, :]) ** 2  # rows x centres
        d2 = dy2[:, None, :] + dx2[None, :, :]
        out[start:start + rows] = np.sqrt(d2.min(axis=2)) / 1000.0
    return out


def desa_distance_build(*, cell_m: float = 200.0) -> Raster | None:
    """Compute and register `jarak-pusat-desa`; None when no boundaries or
    desa centres are loaded (run geo_load_kubu_raya first)."""
    centres = _desa_centres_metric()
    shapes = _desa_shapes_metric()
    box = _regency_box_metric()
    if not len(centres) or not shapes or box[0] is None:
        return None
    minx, miny, maxx, maxy = box
    origin_x, origin_y = math.floor(minx / cell_m) * cell_m, math.ceil(maxy / cell_m) * cell_m
    width = int(math.ceil((maxx - origin_x) / cell_m))
    height = int(math.ceil((origin_y - miny) / cell_m))
    transform = from_origin(origin_x, origin_y, cell_m, cell_m)
    xs = origin_x + (np.arange(width) + 0.5) * cell_m
    ys = origin_y - (np.arange(height) + 0.5) * cell_m
    distance = nearest_distance_km(xs, ys, centres)
    outside = geometry_mask(shapes, out_shape=(height, width), transform=transform)  # True outside
    distance[outside] = NODATA
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "distance.tif"
        with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                           crs=f"EPSG:{METRIC_SRID}", transform=transform, nodata=NODATA) as dst:
            dst.write(distance, 1)
        return raster_register(
            name=DISTANCE_NAME, source_path=path, kind=Raster.Kind.REGISTERED, unit="km",
            title="Jarak ke pusat desa terdekat (km)",
            attribution="Pemerintah Kabupaten Kubu Raya, dihitung dari batas dan titik pusat desa "
                        "Kepmendagri 300.2.2-2138/2025 (cahyadsn/wilayah_boundaries, cahyadsn/wilayah; MIT License)")
