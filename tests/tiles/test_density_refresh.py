"""The beat job density-refresh refreshes the report-density rasters and
their tiles answer (it failed every run with LayerFilterError: issue 17)."""
import uuid

import pytest

from ops import tasks
from reports.services import categories_seed, report_submit

from .conftest import tile_of

POINT = (109.3724, -0.0715)  # inside desa Sungai Raya


@pytest.fixture
def raster_dir(settings, tmp_path):
    settings.TILES_RASTER_DIR = tmp_path / "rasters"
    return settings.TILES_RASTER_DIR


@pytest.mark.django_db
def test_beat_density_refresh_builds_the_rasters_and_their_tiles_answer(client, kubu_raya, raster_dir, tile_cache):
    categories_seed()
    for dx in (0.0, 0.001, 0.002):
        report_submit(report_id=uuid.uuid4(), category_code="flood", lon=POINT[0] + dx, lat=POINT[1])
    assert tasks.command_run.run("tiles_density_refresh") == "tiles_density_refresh"  # as beat runs it
    x, y = tile_of(*POINT, 12)
    tile = client.get(f"/tiles/raster/density-flood/12/{x}/{y}.png")
    assert tile.status_code == 200 and tile["Content-Type"] == "image/png"
    assert client.get("/api/v1/rasters/").status_code == 200
