"""Report density surfaces: a Gaussian kernel density per category, in
reports per km², computed on a metric grid (UTM 49S, EPSG:32749: the
regency straddles the equator at 109-110 E; metres, never degrees) and
written as a COG served like any registered raster.

Only reports the public may see as points go in (the reports layer of the
registry, restricted by the publication policy): a surface smooths points
but, at a few hundred metres, still shows where a lone report was, so P1-P3
categories never get one.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from django.conf import settings
from django.db import connection
from rasterio.transform import from_origin

from tiles import sources
from tiles.models import Raster
from tiles.raster import raster_register

METRIC_SRID = 32749


def _regency_box_metric() -> tuple[float, float, float, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            " SELECT ST_Extent(ST_Transform(b.geom, %s)) AS e FROM geo_areaboundary b"
            " JOIN geo_area a ON a.id = b.area_id JOIN geo_edition ed ON ed.id = a.edition_id AND ed.is_current"
            " WHERE a.level = 'kecamatan') AS x", [METRIC_SRID])
        return cursor.fetchone()


def _counts_grid(layer, filters, origin_x, origin_y, cell_m, width, height) -> np.ndarray:
    """Reports per grid cell, counted in PostgreSQL (a million points never
    travel to Python). Raw SQL: the ORM cannot group by a computed cell."""
    src_sql, src_params = layer.table_sql(filters)
    sql = ("SELECT c, r, count(*) FROM ("
           " SELECT floor((ST_X(g) - %s) / %s)::int AS c, floor((%s - ST_Y(g)) / %s)::int AS r"
           " FROM (SELECT ST_Transform(s.geom, %s) AS g FROM (" + src_sql + ") AS s) AS p) AS q"
           " WHERE c >= 0 AND c < %s AND r >= 0 AND r < %s GROUP BY c, r")
    grid = np.zeros((height, width), dtype="float64")
    with connection.cursor() as cursor:
        cursor.execute(sql, [origin_x, cell_m, origin_y, cell_m, METRIC_SRID, *src_params, width, height])
        for c, r, n in cursor.fetchall():
            grid[r, c] = n
    return grid


def _gaussian_kernel(sigma_cells: float) -> np.ndarray:
    radius = max(1, int(math.ceil(3 * sigma_cells)))
    x = np.arange(-radius, radius + 1, dtype="float64")
    k = np.exp(-0.5 * (x / sigma_cells) ** 2)
    return k / k.sum()


def kernel_density(counts: np.ndarray, *, bandwidth_m: float, cell_m: float) -> np.ndarray:
    """Counts smoothed with a Gaussian of standard deviation bandwidth_m,
    as points per km² (the kernel sums to 1, so the total is kept)."""
    kernel = _gaussian_kernel(bandwidth_m / cell_m)
    smoothed = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), 1, counts)
    smoothed = np.apply_along_axis(lambda col: np.convolve(col, kernel, mode="same"), 0, smoothed)
    return smoothed / ((cell_m / 1000.0) ** 2)


def density_refresh(*, category: str, bandwidth_m: float = 500.0, cell_m: float = 100.0) -> Raster | None:
    """Compute and register `density-<category>`; None if the reports layer
    does not publish points."""
    layer = sources.layer_get(settings.TILES_REPORTS_LAYER)
    if layer is None:
        return None
    minx, miny, maxx, maxy = _regency_box_metric()
    pad = 3 * bandwidth_m
    origin_x, origin_y = math.floor((minx - pad) / cell_m) * cell_m, math.ceil((maxy + pad) / cell_m) * cell_m
    width = int(math.ceil((maxx + pad - origin_x) / cell_m))
    height = int(math.ceil((origin_y - (miny - pad)) / cell_m))
    # The category by the field the layer publishes it as (category_code), as
    # a tile's ?category= does: {"category": ...} raised LayerFilterError on
    # every beat run, so no density surface was ever refreshed.
    filters = sources.filters_for(layer, {"category": category})
    if not filters:
        return None
    counts = _counts_grid(layer, filters, origin_x, origin_y, cell_m, width, height)
    density = kernel_density(counts, bandwidth_m=bandwidth_m, cell_m=cell_m).astype("float32")
    # Below a hundredth of the density of a single report: no hotspot, shown
    # transparent.
    floor_value = 0.01 / (2 * math.pi * (bandwidth_m / 1000.0) ** 2)
    density[density < floor_value] = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "density.tif"
        with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                           crs=f"EPSG:{METRIC_SRID}", transform=from_origin(origin_x, origin_y, cell_m, cell_m),
                           nodata=0.0) as dst:
            dst.write(density, 1)
        return raster_register(
            name=f"density-{category}", source_path=path, kind=Raster.Kind.DENSITY, unit="laporan/km²",
            title=f"Kepadatan laporan: {category} (kernel Gauss {bandwidth_m:g} m)",
            attribution="Pemerintah Kabupaten Kubu Raya, RT Online; CC BY 4.0")
