"""Vector tiles of the boundary layers: decoded contents, one statement per
tile, 204/404, ETag and 304 without the database, gzip, TileJSON."""
import gzip

import pytest
from django.db import connection
from shapely.geometry import Point, shape

from geo.attribution import DATA_ATTRIBUTION
from tests.tiles.conftest import decode, pixel_in_tile, tile_of
from tiles import cache

pytestmark = pytest.mark.django_db

# A point inside desa Sungai Raya (61.12.01.2001), from ST_PointOnSurface.
SUNGAI_RAYA = (109.37235561811173, -0.07154622349995066)


def _url(layer, z, lon_lat=SUNGAI_RAYA):
    x, y = tile_of(*lon_lat, z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt", (z, x, y)


def test_desa_tile_holds_sungai_raya_polygon_at_its_tile_coordinates(client, kubu_raya, tile_cache):
    url, (z, x, y) = _url("desa", 12)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    features = decode(response.content)["desa"]["features"]
    by_code = {f["properties"]["code"]: f for f in features}
    sungai_raya = shape(by_code["61.12.01.2001"]["geometry"])
    inside = Point(pixel_in_tile(*SUNGAI_RAYA, z, x, y))
    assert sungai_raya.buffer(2).contains(inside)
    # The neighbouring desa drawn in the same tile does not cover that point.
    others = [shape(f["geometry"]) for code, f in by_code.items() if code != "61.12.01.2001"]
    assert not any(o.buffer(-2).contains(inside) for o in others)


def test_uncached_tile_is_a_single_query(client, kubu_raya, tile_cache, django_assert_num_queries):
    url, _ = _url("desa", 10)
    with django_assert_num_queries(2) as ctx:  # the cache epoch (tiles.cache), then the tile
        response = client.get(url)
    assert response.status_code == 200
    assert "tiles_cache_epoch" in ctx.captured_queries[0]["sql"]
    sql = ctx.captured_queries[1]["sql"]
    assert "ST_AsMVT" in sql and "&&" in sql and "SELECT *" not in sql


def test_composite_tile_is_a_single_query_with_both_layers(client, kubu_raya, tile_cache,
                                                          django_assert_num_queries):
    x, y = tile_of(*SUNGAI_RAYA, 9)
    with django_assert_num_queries(2):  # the cache epoch, then the tile
        response = client.get(f"/tiles/desa,kecamatan/9/{x}/{y}.mvt")
    layers = decode(response.content)
    assert set(layers) == {"desa", "kecamatan"}
    assert "Sungai Raya" in {f["properties"]["name"] for f in layers["kecamatan"]["features"]}


def test_empty_tile_over_the_sea_returns_204(client, kubu_raya, tile_cache):
    x, y = tile_of(100.0, -5.0, 10)  # Indian Ocean, far from Kubu Raya
    response = client.get(f"/tiles/desa/10/{x}/{y}.mvt")
    assert response.status_code == 204
    assert response.content == b""
    assert response["ETag"]


def test_empty_tile_is_a_cache_hit(client, kubu_raya, tile_cache, django_assert_num_queries):
    x, y = tile_of(100.0, -5.0, 10)
    assert client.get(f"/tiles/desa/10/{x}/{y}.mvt")["X-Tile-Cache"] == "miss"
    with django_assert_num_queries(1):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        again = client.get(f"/tiles/desa/10/{x}/{y}.mvt")
    assert again.status_code == 204 and again["X-Tile-Cache"] == "hit"


@pytest.mark.parametrize("path", [
    "/tiles/desa/21/0/0.mvt",        # beyond the maximum zoom
    "/tiles/desa/2/4/0.mvt",         # x outside zoom 2
    "/tiles/desa/2/0/4.mvt",         # y outside zoom 2
    "/tiles/no-such-layer/2/0/0.mvt",
    "/tiles/desa,no-such-layer/2/0/0.mvt",
])
def test_out_of_range_or_unknown_returns_404(client, kubu_raya, tile_cache, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_matching_etag_gives_304_without_any_query(client, kubu_raya, tile_cache,
                                                  django_assert_num_queries):
    url, _ = _url("desa", 11)
    first = client.get(url)
    assert first["Cache-Control"] and first["ETag"]
    with django_assert_num_queries(2):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        hit = client.get(url)
    assert second.status_code == 304
    assert second["ETag"] == first["ETag"]
    assert hit.status_code == 200 and hit.content == first.content and hit["X-Tile-Cache"] == "hit"
    stale = client.get(url, HTTP_IF_NONE_MATCH='"0123456789abcdef0123"')
    assert stale.status_code == 200


def test_gzip_when_accepted(client, kubu_raya, tile_cache):
    url, _ = _url("desa", 10)
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)
    assert "Accept-Encoding" in packed["Vary"]
    # The ETag of each representation revalidates either.
    assert client.get(url, HTTP_IF_NONE_MATCH=packed["ETag"], HTTP_ACCEPT_ENCODING="gzip").status_code == 304


def test_layer_invalidation_rebuilds_its_tiles_only(client, kubu_raya, tile_cache, django_assert_num_queries):
    desa_url, _ = _url("desa", 10)
    kec_url, _ = _url("kecamatan", 10)
    client.get(desa_url)
    client.get(kec_url)
    cache.tiles_invalidate_layer("desa")
    with django_assert_num_queries(1):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        assert client.get(kec_url)["X-Tile-Cache"] == "hit"
    with django_assert_num_queries(2):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        assert client.get(desa_url)["X-Tile-Cache"] == "miss"


def test_lost_version_key_never_revives_an_old_tile(client, kubu_raya, tile_cache):
    url, _ = _url("desa", 10)
    client.get(url)
    tile_cache.purge()  # as if Redis evicted everything, versions included
    assert client.get(url)["X-Tile-Cache"] == "miss"


def test_point_near_a_tile_edge_touches_both_tiles(settings):
    # lon 0 is the edge between x=2^(z-1)-1 and x=2^(z-1) at every zoom.
    tiles = cache.tiles_at_point(0.0000001, -0.3, max_zoom=4)
    assert {(z, x) for z, x, _ in tiles if z == 4} == {(4, 7), (4, 8)}
    single = cache.tiles_at_point(*SUNGAI_RAYA, max_zoom=20)
    assert len({z for z, _, _ in single}) == 21
    for z, x, y in single:
        if (z, x, y) == (z, *tile_of(*SUNGAI_RAYA, z)):
            break
    else:
        pytest.fail("the tile holding the point is missing")


def test_tilejson_describes_the_layer(client, kubu_raya):
    response = client.get("/tiles/desa.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/desa/{z}/{x}/{y}.mvt")
    west, south, east, north = doc["bounds"]
    assert 108.9 < west < 109.2 and 109.8 < east < 110.1 and -1.1 < south < -0.9 and 0.1 < north < 0.3
    assert DATA_ATTRIBUTION in doc["attribution"] and "MIT" in doc["attribution"]
    (entry,) = doc["vector_layers"]
    assert entry["id"] == "desa" and {"code", "name"} <= set(entry["fields"])
    assert client.get("/tiles/nothing.json").status_code == 404


def test_tile_sql_prefilters_with_the_index(client, kubu_raya):
    from tiles import sources, vector

    layer = sources.layer_get("desa")
    sql, params = vector.tile_sql([(layer, None)], vector.TileRequest(12, *tile_of(*SUNGAI_RAYA, 12)))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "geo_areaboundary_geom_id" in plan or "Index" in plan


def test_tile_invalidated_while_being_built_is_not_kept(tile_cache):
    z = 10
    x, y = tile_of(*SUNGAI_RAYA, z)
    versions, marker = cache.tile_build_state("desa", z, x, y)
    cache.tiles_invalidate_point("desa", *SUNGAI_RAYA)  # a write commits mid-build
    variant = cache.tile_variant(versions, {})
    assert not cache.tile_put("desa", z, x, y, variant, etag="e", body=b"old", gzipped_body=b"old", marker=marker)
    assert cache.tile_lookup("desa", z, x, y, {}, body="d") == (None, None)
    versions, marker = cache.tile_build_state("desa", z, x, y)
    assert cache.tile_put("desa", z, x, y, variant, etag="e", body=b"new", gzipped_body=b"new", marker=marker)
    assert cache.tile_lookup("desa", z, x, y, {}, body="d") == ("e", b"new")


def test_state_read_by_the_cache_lookup_equals_the_build_state_and_catches_a_write(tile_cache):
    """A miss builds with the versions and marker its own lookup read (one
    round trip fewer); a write between that lookup and the keep still wins."""
    z = 11
    x, y = tile_of(*SUNGAI_RAYA, z)
    cache.tile_build_state("desa", z, x, y)          # the layer has a version
    cache.tiles_invalidate_point("desa", *SUNGAI_RAYA)  # and the tile a marker
    state = {}
    assert cache.tile_lookup("desa", z, x, y, {}, body="d", state=state) == (None, None)
    assert state["build"] == cache.tile_build_state("desa", z, x, y)
    versions, marker = state["build"]
    cache.tiles_invalidate_point("desa", *SUNGAI_RAYA)  # a write commits mid-build
    assert not cache.tile_put("desa", z, x, y, cache.tile_variant(versions, {}), etag="e", body=b"old",
                              gzipped_body=b"old", marker=marker)


def test_point_write_drops_its_tiles_in_the_layer_and_composites_holding_it_only(tile_cache):
    """One call (one Lua script on Redis) drops the tiles showing the point in
    the layer and in every composite containing it, at every zoom, and gives
    each a new marker; other layers' and composites' tiles and the layer's
    tiles elsewhere stay cached."""
    elsewhere = (109.6, -0.6)

    def put(name, lon_lat, z):
        x, y = tile_of(*lon_lat, z)
        versions, marker = cache.tile_build_state(name, z, x, y)
        assert cache.tile_put(name, z, x, y, cache.tile_variant(versions, {}), etag="e", body=b"b",
                              gzipped_body=b"g", marker=marker)
        return name, z, x, y

    def cached(tile):
        return cache.tile_lookup(*tile, {}, body="d") == ("e", b"b")

    dropped = [put(name, SUNGAI_RAYA, z) for name in ("reports", "desa,reports") for z in (0, 9, 14)]
    kept = ([put(name, SUNGAI_RAYA, z) for name in ("desa", "desa,kecamatan") for z in (0, 9, 14)]
            + [put("reports", elsewhere, 14), put("desa,reports", elsewhere, 14)])
    markers = {t: cache._state_read(*t)[1][-1] for t in dropped}
    assert all(cached(t) for t in dropped + kept)

    assert cache.tiles_invalidate_point("reports", *SUNGAI_RAYA) == len(dropped)
    assert not any(cached(t) for t in dropped)
    assert all(cached(t) for t in kept)
    assert all(cache._state_read(*t)[1][-1] not in (None, markers[t]) for t in dropped)
    assert cache.tiles_invalidate_point("reports", *SUNGAI_RAYA) == 0  # nothing left to drop
