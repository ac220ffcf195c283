"""A streaming read replica (a second private cluster made with pg_basebackup) and
the router that sends public reads to it; tiles are built on the primary, so a
tile read after a write always holds the write, even while the replica lags
(replay paused here to make the lag certain, not timing-dependent)."""
import datetime
import json
import math

import mapbox_vector_tile
import psycopg
import pytest
from django.test import override_settings
from shapely.geometry import shape

from common import dbrouter
from tenancy import load, queries, schema
from tests.ops.pgcluster import BINDIR, PrivateCluster, free_port

pytestmark = pytest.mark.citus

AT = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def primary_and_replica():
    primary = PrivateCluster().init()
    primary.start()
    replica = PrivateCluster()
    try:
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE prov")
        with psycopg.connect(primary.url("prov")) as conn:
            schema.create(conn)
            load.load_regencies(conn, codes=["61.71"])
        # The replica: a base backup of the primary, streaming from it (-R writes the standby settings).
        replica._pg(str(BINDIR / "pg_basebackup"), "-D", str(replica.data), "-h", "127.0.0.1",
                    "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream", "-c", "fast")
        replica.port = free_port()
        replica.start()
        yield primary, replica
    finally:
        replica.destroy()
        primary.destroy()


def tile_ids(body: bytes) -> set[int]:
    layers = mapbox_vector_tile.decode(body)
    return {f["properties"]["id"] for f in layers.get("reports", {}).get("features", [])}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_router_sends_public_reads_to_the_replica_only_when_there_is_one():
    router = dbrouter.PublicReadRouter()
    assert router.db_for_read(None) == "default"
    with dbrouter.public_reads():
        assert router.db_for_read(None) == "default"  # no replica configured: nothing changes
    with override_settings(DATABASES={"default": {}, "replica": {}}):
        assert router.db_for_read(None) == "default"
        with dbrouter.public_reads():
            assert router.db_for_read(None) == "replica"
            assert router.db_for_write(None) == "default"
        assert dbrouter.public_read(lambda: dbrouter.read_alias())() == "replica"
        assert router.allow_migrate("replica", "reports") is False
        assert router.allow_migrate("default", "reports") is True


def test_a_tile_read_after_a_write_is_never_older_than_the_write(primary_and_replica):
    primary, replica = primary_and_replica
    features = json.loads((load.default_data_dir() / "kalbar_desa.geojson").read_text())["features"]
    p = shape(next(f for f in features if f["properties"]["code"] == "61.71.02.1001")["geometry"]).representative_point()
    z = 14
    x = int((p.x + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(p.y))) / math.pi) / 2 * 2 ** z)
    with psycopg.connect(primary.url("prov")) as write, psycopg.connect(replica.url("prov"), autocommit=True) as read:
        assert read.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        read.execute("SELECT pg_wal_replay_pause()")  # the replica now lags by everything that follows
        submitted = queries.submit(write, lon=p.x, lat=p.y, category=8, description="Jalan rusak", at=AT)
        lsn = write.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        write.commit()

        # The public tile is built on the primary: it holds the report at once.
        assert submitted.id in tile_ids(queries.tile(write, z=z, x=x, y=y))
        # What building it on the lagging replica would have served: the write is missing.
        assert submitted.id not in tile_ids(queries.tile(read, z=z, x=x, y=y))
        tracking = {"regency": submitted.regency, "tracking": submitted.tracking_code}
        assert read.execute(queries.sql_of("tracking"), tracking).fetchone() is None

        # Replay resumes; the public tracking read on the replica catches up.
        read.execute("SELECT pg_wal_replay_resume()")
        for _ in range(200):
            if read.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                break
            read.execute("SELECT pg_sleep(0.05)")
        assert read.execute(queries.sql_of("tracking"), tracking).fetchone()[0] == submitted.id
        assert submitted.id in tile_ids(queries.tile(read, z=z, x=x, y=y))
