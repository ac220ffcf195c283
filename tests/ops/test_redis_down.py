"""Redis is an optimisation: with it gone (killed, frozen, restarted from an
old RDB file) submissions, lookups and tiles keep working from PostgreSQL,
and a cache that comes back never serves a tile older than a write it missed.

Real processes: a private redis-server (cache, throttles, tiles, broker) and
gunicorn serving the project against the test database.
"""
import time
import uuid

import pytest
import requests

from common.outbox.models import OutboxMessage
from reports.models import Report
from reports.services import categories_seed, report_submit

from .redisserver import PrivateRedis
from .servers import gunicorn

pytestmark = pytest.mark.slow
POINT = {"lon": 109.3724, "lat": -0.0715}  # inside desa Sungai Raya
NEARBY = {"lon": 109.3731, "lat": -0.0711}


def _tile_path(lon, lat, z=14):
    import math

    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return f"/tiles/reports/{z}/{x}/{y}.mvt"


def _decode(body: bytes) -> int:
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(body) if body else {}
    return sum(len(layer["features"]) for layer in layers.values())


def _report(base, point, code="flood") -> requests.Response:
    return requests.post(f"{base}/api/v1/reports/", timeout=30, json={
        "id": str(uuid.uuid4()), "category": code, "description": "Jalan berlubang", **point})


@pytest.mark.django_db(transaction=True)
def test_redis_killed_and_restarted_from_an_old_rdb_file(kubu_raya, tmp_path):
    categories_seed()
    server = PrivateRedis(persist=True).start()
    try:
        with gunicorn(REDIS_URL=server.url, CELERY_BROKER_URL=server.url, TILES_EDGE_DIR="",
                      TILES_CACHE_PREFIX=f"t{uuid.uuid4().hex[:6]}:") as base:
            assert _report(base, POINT).status_code == 201
            tile = _tile_path(**POINT)
            first = requests.get(base + tile, timeout=30)
            assert first.status_code == 200
            hit = requests.get(base + tile, timeout=30)
            assert hit.headers.get("X-Tile-Cache") == "hit" and hit.headers["ETag"] == first.headers["ETag"]
            features_before = _decode(first.content)
            server.save()  # the RDB file now holds the cached tile
            server.kill()

            # Redis gone: the citizen's submission, the lookup and the tile still answer
            started = time.monotonic()
            during = _report(base, NEARBY)
            assert during.status_code == 201, during.text
            assert requests.get(f"{base}/api/v1/areas/covering", params=POINT, timeout=30).status_code == 200
            built = requests.get(base + tile, timeout=30)
            assert built.status_code == 200 and built.headers.get("X-Tile-Cache") != "hit"
            assert _decode(built.content) == features_before + 1
            assert time.monotonic() - started < 20
            # the agency notification of the report stored during the outage is not lost
            messages = OutboxMessage.objects.filter(payload__report_id=during.json()["id"])
            assert messages.exists() and all(m.delivered_at is not None for m in messages)

            # Redis comes back from its old RDB file, with the tile cached before the write
            server.start()
            after = requests.get(base + tile, timeout=30)
            assert after.status_code == 200
            assert after.headers["ETag"] != first.headers["ETag"]
            assert _decode(after.content) == features_before + 1
            deadline = time.monotonic() + 5  # and the cache works again within seconds
            while (again := requests.get(base + tile, timeout=30)).headers.get("X-Tile-Cache") != "hit":
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert again.headers["ETag"] == after.headers["ETag"] and _decode(again.content) == features_before + 1
    finally:
        server.close()
    assert Report.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_costs_time_not_answers(kubu_raya):
    categories_seed()
    server = PrivateRedis().start()
    try:
        with gunicorn(REDIS_URL=server.url, CELERY_BROKER_URL=server.url, TILES_EDGE_DIR="") as base:
            assert _report(base, POINT).status_code == 201
            server.freeze()  # connections hang instead of failing
            statuses = [_report(base, NEARBY).status_code for _ in range(3)]
            tile = requests.get(base + _tile_path(**POINT), timeout=60)
            lookup = requests.get(f"{base}/api/v1/areas/covering", params=POINT, timeout=60)
            assert statuses == [201, 201, 201] and tile.status_code == 200 and lookup.status_code == 200
            server.thaw()
    finally:
        server.close()
    assert Report.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_from_an_old_rdb_file_without_anyone_noticing_serves_no_stale_tile(kubu_raya):
    """Redis took a write's invalidation, then crashed and came back at once
    from an RDB file saved before it (a systemd restart): no request saw it
    down (redis-py reconnects and retries silently), yet the restored data
    holds the tile from before the write. The restart is noticed on the new
    connection (the server's run_id against the one the cache recorded) and
    nothing cached before it is served."""
    categories_seed()
    server = PrivateRedis(persist=True).start()
    try:
        with gunicorn(REDIS_URL=server.url, CELERY_BROKER_URL=server.url, TILES_EDGE_DIR="",
                      TILES_CACHE_PREFIX=f"t{uuid.uuid4().hex[:6]}:") as base:
            assert _report(base, POINT).status_code == 201
            tile = _tile_path(**POINT)
            first = requests.get(base + tile, timeout=30)
            assert requests.get(base + tile, timeout=30).headers.get("X-Tile-Cache") == "hit"
            features_before = _decode(first.content)
            server.save()  # the RDB file holds the tile as it was
            assert _report(base, NEARBY).status_code == 201  # Redis takes the invalidation (not saved)
            rebuilt = requests.get(base + tile, timeout=30)
            assert rebuilt.headers.get("X-Tile-Cache") != "hit" and _decode(rebuilt.content) == features_before + 1
            deadline = time.monotonic() + 10  # the rebuilt tile is kept (after its response)
            while requests.get(base + tile, timeout=30).headers.get("X-Tile-Cache") != "hit":
                assert time.monotonic() < deadline
                time.sleep(0.2)

            server.kill()
            server.start()  # same port, from the old RDB file; nothing asked Redis meanwhile
            after = requests.get(base + tile, timeout=30)
            assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]
            assert _decode(after.content) == features_before + 1
    finally:
        server.close()


@pytest.mark.django_db(transaction=True)
def test_a_write_redis_missed_reaches_a_process_that_reuses_its_epoch(kubu_raya, settings):
    """Processes reuse the cache epoch they read for TILES_CACHE_EPOCH_REUSE_SECONDS.
    A write whose invalidation the store could not take (here: this process
    skips the store, its breaker open) advances the epoch and is answered
    only after that long: gunicorn, which read the epoch just before and whose
    Redis works, then serves no tile older than the write."""
    from tiles import cache

    categories_seed()
    server = PrivateRedis().start()
    prefix = f"t{uuid.uuid4().hex[:6]}:"
    reuse = 8.0
    try:
        with gunicorn(REDIS_URL=server.url, CELERY_BROKER_URL="", TILES_EDGE_DIR="", TILES_CACHE_PREFIX=prefix,
                      TILES_CACHE_EPOCH_REUSE_SECONDS=str(reuse)) as base:
            assert _report(base, POINT).status_code == 201
            tile = _tile_path(**POINT)
            first = requests.get(base + tile, timeout=30)
            deadline = time.monotonic() + 10
            while requests.get(base + tile, timeout=30).headers.get("X-Tile-Cache") != "hit":
                assert time.monotonic() < deadline
                time.sleep(0.2)
            settings.TILES_REDIS_URL, settings.TILES_CACHE_PREFIX = server.url, prefix
            settings.TILES_CACHE_EPOCH_REUSE_SECONDS = reuse
            cache._trip(ConnectionError("test: this process cannot reach the store"))
            cache._breaker["open_until"] = time.monotonic() + 3600

            hit = requests.get(base + tile, timeout=30)  # gunicorn reads the epoch now and reuses it
            assert hit.headers.get("X-Tile-Cache") == "hit" and hit.headers["ETag"] == first.headers["ETag"]
            report_submit(report_id=uuid.uuid4(), category_code="flood", description="Jalan berlubang", **NEARBY)
            after = requests.get(base + tile, timeout=30)
            assert after.headers["ETag"] != first.headers["ETag"] and after.headers.get("X-Tile-Cache") != "hit"
            assert _decode(after.content) == _decode(first.content) + 1
    finally:
        cache._breaker.update(open_until=0.0, tripped=False)
        server.close()
