"""Issue 18: /peta/ offers a raster only when its tiles exist, and every
raster it offers answers TileJSON and PNG tiles. The demo's rasters are the
reference raster built from the real boundaries (distance to the nearest
desa centre, tiles.reference) and the computed report-density surface."""
import io
import json
import math
import re
import uuid

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image
from pyproj import Geod

from geo.models import Area
from reports.services import categories_seed, report_submit
from tiles.density import density_refresh
from tiles.models import Raster
from tiles.reference import DISTANCE_NAME, desa_distance_build, nearest_distance_km

from .conftest import tile_of

pytestmark = pytest.mark.django_db

SUNGAI_RAYA = "61.12.01.2001"
POINT = (109.3724, -0.0715)  # inside desa Sungai Raya
SEA = (108.95, -0.9)          # Selat Karimata, west of the regency


@pytest.fixture
def raster_dir(settings, tmp_path):
    settings.TILES_RASTER_DIR = tmp_path / "rasters"
    return settings.TILES_RASTER_DIR


def _offered(client) -> list[dict]:
    page = client.get("/peta/")
    assert page.status_code == 200
    found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', page.content.decode(), re.S)
    return json.loads(found.group(1))["rasters"]


def _png(response) -> Image.Image:
    assert response.status_code == 200, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()  # a truncated or invalid PNG raises here
    return image.convert("RGBA")


def test_a_raster_without_its_tiles_is_not_offered(client, kubu_raya, raster_dir, tile_cache):
    Raster.objects.create(name="report-density", title="Kepadatan laporan", path=str(raster_dir / "gone.tif"),
                          crs="EPSG:32749", west=109.0, south=-1.0, east=110.0, north=0.2, dtype="float32",
                          band_count=1)
    assert _offered(client) == []
    assert client.get("/tiles/raster/report-density.json").status_code == 404


def test_every_raster_the_map_offers_answers_tilejson_and_png_tiles(client, kubu_raya, raster_dir, tile_cache):
    categories_seed()
    for dx in (0.0, 0.001, 0.002):
        report_submit(report_id=uuid.uuid4(), category_code="flood", lon=POINT[0] + dx, lat=POINT[1])
    assert desa_distance_build(cell_m=500.0) is not None
    assert density_refresh(category="flood") is not None
    offered = _offered(client)
    assert {r["name"] for r in offered} == {DISTANCE_NAME, "density-flood"}
    for raster in offered:
        tilejson = client.get(raster["tilejson"])
        assert tilejson.status_code == 200 and tilejson["Access-Control-Allow-Origin"] == "*"
        document = tilejson.json()
        assert document["tilejson"] == "3.0.0" and document["tiles"][0].endswith("/{z}/{x}/{y}.png")
        (south, west), (north, east) = raster["bounds"]
        assert document["bounds"] == [west, south, east, north]
        assert west < POINT[0] < east and south < POINT[1] < north
        for z in (9, 12, 14):
            x, y = tile_of(*POINT, z)
            for url in (raster["url"], document["tiles"][0]):
                image = _png(client.get(url.replace("http://testserver", "").format(z=z, x=x, y=y)))
                assert image.size == (256, 256)
                alpha = np.asarray(image)[:, :, 3]
                assert alpha.max() == 255, (raster["name"], z)  # something is drawn over Sungai Raya
    listed = {r["name"] for r in client.get("/api/v1/rasters/").json()}
    assert listed == {DISTANCE_NAME, "density-flood"}
    # Rendering options are checked in the TileJSON as in the tiles.
    bad = client.get(f"/tiles/raster/{DISTANCE_NAME}.json?colormap_name=pelangi")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_option"


def test_distance_raster_is_the_distance_to_the_nearest_official_desa_centre(client, kubu_raya, raster_dir, tile_cache):
    raster = desa_distance_build(cell_m=250.0)
    assert raster.unit == "km" and raster.minimum >= 0
    centres = [(p.x, p.y) for p in Area.objects.filter(edition=kubu_raya, level="desa", source_centroid__isnull=False)
               .values_list("source_centroid", flat=True)]
    assert len(centres) >= 100
    geod = Geod(ellps="WGS84")
    half_diagonal_km = 250.0 * math.sqrt(2) / 2 / 1000
    # At Sungai Raya's official centre the distance is (about) zero; at the
    # report point it is the geodesic distance to the nearest centre, to
    # within half a cell's diagonal and the UTM scale error (< 0.1 %).
    centre = Area.objects.get(edition=kubu_raya, code=SUNGAI_RAYA).source_centroid
    for lon, lat in ((centre.x, centre.y), POINT, (109.6, -0.3)):
        body = client.get(f"/api/v1/rasters/{DISTANCE_NAME}/value", {"lon": lon, "lat": lat}).json()
        nearest = min(geod.inv(lon, lat, cx, cy)[2] for cx, cy in centres) / 1000
        assert body["unit"] == "km"
        assert body["values"][0] == pytest.approx(nearest, abs=half_diagonal_km + 0.001 * nearest + 0.01)
    # The sea is no desa: nodata (transparent), not a distance.
    sea = client.get(f"/api/v1/rasters/{DISTANCE_NAME}/value", {"lon": SEA[0], "lat": SEA[1]})
    assert sea.status_code == 404 or sea.json()["values"] == [None]


def test_nearest_distance_is_the_minimum_over_centres():
    xs, ys = np.array([0.0, 3000.0]), np.array([0.0, -4000.0])
    centres = np.array([[0.0, 0.0], [3000.0, 0.0]])
    assert nearest_distance_km(xs, ys, centres, rows=1).tolist() == [[0.0, 0.0], [4.0, 4.0]]


def test_the_command_builds_it_and_refuses_a_silly_cell(kubu_raya, raster_dir):
    out = io.StringIO()
    call_command("tiles_reference_rasters", "--cell-m", "1000", stdout=out)
    assert out.getvalue().startswith(f"{DISTANCE_NAME}: ")
    from django.core.management.base import CommandError
    with pytest.raises(CommandError):
        call_command("tiles_reference_rasters", "--cell-m", "0")
