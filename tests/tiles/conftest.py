"""Tile fixtures: a private tile cache per test (Redis under its own key
prefix), and helpers to find tiles and decode them."""
import math
import uuid

import mapbox_vector_tile
import pytest
import redis as redis_lib

from tiles import cache

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def tile_cache(settings):
    """The tile cache (Redis) under a key prefix private to the test."""
    try:
        redis_lib.Redis.from_url(REDIS_URL).ping()
    except redis_lib.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.TILES_REDIS_URL = REDIS_URL
    settings.TILES_CACHE_PREFIX = f"test:{uuid.uuid4().hex}:"
    store = cache.store()
    store.ping()  # connected: the server's run_id recorded under the new prefix (an advance of the epoch) first
    yield store
    store.purge()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def pixel_in_tile(lon: float, lat: float, z: int, x: int, y: int, extent: int = 4096) -> tuple[float, float]:
    """Where (lon, lat) falls in tile (z, x, y), in tile units, y down."""
    n = 2 ** z
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return (fx - x) * extent, (fy - y) * extent


def decode(body: bytes) -> dict:
    """Layers of a tile, in tile units with y down (as encoded)."""
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
