"""Raster tiles, point values and zonal statistics from GeoTIFFs made here
(no committed binaries)."""
import io
from io import StringIO

import morecantile
import numpy as np
import pytest
import rasterio
from django.core.management import call_command
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_bounds, from_origin
from rio_cogeo.cogeo import cog_validate
from rio_tiler.colormap import cmap
from shapely import wkb
from shapely.geometry import Point

from geo.models import AreaBoundary
from tiles.models import Raster

pytestmark = pytest.mark.django_db

WMQ = morecantile.tms.get("WebMercatorQuad")
# The z10 tile over Sungai Raya (Kubu Raya), as (x, y).
Z, X, Y = 10, 822, 512


@pytest.fixture
def raster_dir(settings, tmp_path):
    settings.TILES_RASTER_DIR = tmp_path / "rasters"
    return settings.TILES_RASTER_DIR


@pytest.fixture
def tile_aligned_tif(tmp_path):
    """256x256 pixels in EPSG:3857 exactly on tile (10, 822, 512): the west
    half is 10, the east half 200, the north-west quarter nodata (0)."""
    b = WMQ.xy_bounds(X, Y, Z)
    data = np.full((256, 256), 10, dtype="uint8")
    data[:, 128:] = 200
    data[:128, :128] = 0
    path = tmp_path / "hazard.tif"
    with rasterio.open(path, "w", driver="GTiff", width=256, height=256, count=1, dtype="uint8",
                       crs="EPSG:3857", transform=from_bounds(b.left, b.bottom, b.right, b.top, 256, 256),
                       nodata=0) as dst:
        dst.write(data, 1)
    return path


def _register(name, path):
    out = StringIO()
    call_command("tiles_raster_register", name, str(path), "--unit", "m", stdout=out)
    return Raster.objects.get(name=name), out.getvalue()


def test_register_writes_a_valid_cog_with_the_right_bounds(raster_dir, tile_aligned_tif):
    raster, output = _register("hazard", tile_aligned_tif)
    assert "registered hazard" in output
    valid, errors, _ = cog_validate(raster.path)
    assert valid, errors
    bounds = WMQ.bounds(X, Y, Z)
    assert raster.west == pytest.approx(bounds.left, abs=1e-9)
    assert raster.north == pytest.approx(bounds.top, abs=1e-9)
    assert (raster.minimum, raster.maximum, raster.nodata) == (10.0, 200.0, 0.0)


def test_raster_tile_has_the_pixels_and_transparent_nodata(client, raster_dir, tile_aligned_tif, tile_cache):
    _register("hazard", tile_aligned_tif)
    response = client.get(f"/tiles/raster/hazard/{Z}/{X}/{Y}.png?rescale=0,255")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    assert image.size == (256, 256)
    assert image.getpixel((10, 10))[3] == 0            # nodata: transparent
    assert image.getpixel((10, 200)) == (10, 10, 10, 255)
    assert image.getpixel((200, 10)) == (200, 200, 200, 255)
    assert image.getpixel((200, 200)) == (200, 200, 200, 255)
    assert response["ETag"]
    again = client.get(f"/tiles/raster/hazard/{Z}/{X}/{Y}.png?rescale=0,255", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_raster_tile_colormap_colours_the_valid_pixels(client, raster_dir, tile_aligned_tif, tile_cache):
    _register("hazard", tile_aligned_tif)
    response = client.get(f"/tiles/raster/hazard/{Z}/{X}/{Y}.png?colormap_name=viridis")
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    west, east = image.getpixel((10, 200)), image.getpixel((200, 200))
    # Byte data is coloured as is (no rescale asked): entries 10 and 200.
    viridis = cmap.get("viridis")
    assert west == tuple(viridis[10][:3]) + (255,) and east == tuple(viridis[200][:3]) + (255,)
    stretched = client.get(f"/tiles/raster/hazard/{Z}/{X}/{Y}.png?colormap_name=viridis&rescale=10,200")
    image = Image.open(io.BytesIO(stretched.content)).convert("RGBA")
    assert image.getpixel((10, 200))[:3] == tuple(viridis[0][:3])
    assert image.getpixel((200, 200))[:3] == tuple(viridis[255][:3])
    assert image.getpixel((10, 10))[3] == 0


def test_raster_tile_outside_the_raster_or_unknown_is_404(client, raster_dir, tile_aligned_tif, tile_cache):
    _register("hazard", tile_aligned_tif)
    assert client.get(f"/tiles/raster/hazard/{Z}/{X + 2}/{Y}.png").status_code == 404
    assert client.get(f"/tiles/raster/nothing/{Z}/{X}/{Y}.png").status_code == 404
    assert client.get(f"/tiles/raster/hazard/{Z}/{X}/{Y}.png?rescale=5,1").status_code == 400


def test_point_value_nodata_and_outside(client, raster_dir, tile_aligned_tif):
    _register("hazard", tile_aligned_tif)
    b = WMQ.bounds(X, Y, Z)
    east_lon = b.left + (b.right - b.left) * 0.9
    south_lat = b.bottom + (b.top - b.bottom) * 0.1
    north_west = (b.left + (b.right - b.left) * 0.1, b.bottom + (b.top - b.bottom) * 0.9)
    r = client.get(f"/api/v1/rasters/hazard/value?lon={east_lon}&lat={south_lat}")
    assert r.status_code == 200 and r.json()["values"] == [200.0]
    r = client.get(f"/api/v1/rasters/hazard/value?lon={north_west[0]}&lat={north_west[1]}")
    assert r.json()["values"] == [None]
    assert client.get("/api/v1/rasters/hazard/value?lon=100&lat=-5").status_code == 404
    assert client.get("/api/v1/rasters/hazard/value?lon=abc&lat=0").status_code == 400


def test_zonal_statistics_of_sungai_raya_match_a_hand_computation(client, kubu_raya, raster_dir, tmp_path):
    """A 200 m grid in UTM 49S over desa Sungai Raya, values 0..n; by hand:
    the pixels whose centre lies inside the desa polygon."""
    boundary = AreaBoundary.objects.get(area__code="61.12.01.2001", area__edition=kubu_raya)
    polygon = wkb.loads(bytes(boundary.geom.wkb))
    to_utm = Transformer.from_crs(4326, 32749, always_xy=True)
    to_geo = Transformer.from_crs(32749, 4326, always_xy=True)
    minx, miny, maxx, maxy = polygon.bounds
    x0, y1 = to_utm.transform(minx, maxy)
    x1, y0 = to_utm.transform(maxx, miny)
    x0, y1 = x0 - 1000, y1 + 1000
    width, height = int((x1 - x0) / 200) + 10, int((y1 - y0) / 200) + 10
    values = (np.arange(width * height, dtype="float32").reshape(height, width) % 97)
    values[::7, ::5] = -9999  # some nodata inside too
    path = tmp_path / "elev.tif"
    transform = from_origin(x0, y1, 200, 200)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                       crs="EPSG:32749", transform=transform, nodata=-9999) as dst:
        dst.write(values, 1)
    _register("elev", path)

    inside = []
    for row in range(height):
        for col in range(width):
            cx, cy = transform * (col + 0.5, row + 0.5)
            if values[row, col] != -9999 and polygon.contains(Point(*to_geo.transform(cx, cy))):
                inside.append(float(values[row, col]))
    inside = np.array(inside)
    threshold = 50.0

    response = client.get("/api/v1/rasters/elev/zonal?level=desa&threshold=50")
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["results"]}
    got = rows["61.12.01.2001"]
    assert got["count"] == inside.size > 50
    assert got["min"] == inside.min() and got["max"] == inside.max()
    assert got["mean"] == pytest.approx(inside.mean(), rel=1e-9)
    assert got["share_above"] == pytest.approx((inside > threshold).mean(), rel=1e-12)
    assert got["area_above_km2"] == pytest.approx((inside > threshold).sum() * 0.04, rel=1e-9)
    # Desa away from the raster have no pixels, and say so.
    far = [r for r in rows.values() if r["count"] == 0]
    assert len(far) > 50 and all(r["mean"] is None and r["share_above"] is None for r in far)
