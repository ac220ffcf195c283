"""Reports in tiles: precomputed clusters kept by the triggers, invalidation
of exactly the touched tiles, and restricted categories never as points.

Until the reports app lands on main these run against tables shaped like
reports_report / reports_category in a private schema (search_path, for
this test's transaction only), with the production triggers and tile SQL.
"""
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.tiles.conftest import decode, pixel_in_tile, tile_of
from common.publication import PUBLIC_GRID_DEG
from tiles import aggregates, cache, receivers, sources, vector

pytestmark = pytest.mark.django_db

# Desa Sungai Raya and a place 40 km away (Batu Ampar side), both on land.
HERE = (109.37235561811173, -0.07154622349995066)
FAR = (109.05, -0.75)
CATEGORIES = [(1, "jalan-rusak", "P0"), (2, "warga-sakit", "P1"), (3, "pungli", "P2"), (4, "kekerasan", "P3")]


def q(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def reports_schema(kubu_raya):
    schema = f"tiles_t{uuid.uuid4().hex[:8]}"
    q(f"CREATE SCHEMA {schema}")
    q(f"SET LOCAL search_path = {schema}, public")
    q("CREATE TABLE reports_category (id int PRIMARY KEY, code text, publication_class text)")
    q("INSERT INTO reports_category VALUES " + ",".join(f"({i}, '{c}', '{p}')" for i, c, p in CATEGORIES))
    q("""CREATE TABLE reports_report (id uuid PRIMARY KEY, category_id int NOT NULL, status varchar(20) NOT NULL,
         confidential boolean NOT NULL DEFAULT false, location geometry(Point, 4326) NOT NULL)""")
    q("CREATE TABLE tiles_reportcell (LIKE public.tiles_reportcell INCLUDING ALL)")
    q(aggregates.TRIGGER_SQL)
    return schema


class ReportsLayer:
    """Public points: P0 categories, not rejected or merged."""
    id = "reports"
    title = description = "Laporan"
    geometry_type = "Point"
    field_types = {"category": "string", "status": "string"}
    fields = list(field_types)
    id_type = "string"
    datetime_field = None
    licence = "CC BY 4.0"

    def table_sql(self, filters=None):
        sql = ("SELECT r.id, r.location AS geom, c.code AS category, r.status AS status FROM reports_report r"
               " JOIN reports_category c ON c.id = r.category_id"
               " WHERE c.publication_class = 'P0' AND r.status <> ALL(ARRAY['rejected', 'merged'])")
        params = []
        for key, value in ((filters or {}).get("properties") or {}).items():
            sql += f" AND {'c.code' if key == 'category' else 'r.status'} = %s"
            params.append(value)
        return sql, params


@pytest.fixture
def reports_layer(reports_schema, monkeypatch):
    layer = ReportsLayer()
    real = sources.layer_get
    monkeypatch.setattr(sources, "layer_get", lambda i: layer if i == "reports" else real(i))
    return layer


def report_create(lon, lat, category=1, status="received"):
    report_id = uuid.uuid4()
    q("INSERT INTO reports_report VALUES (%s, %s, %s, false, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
      [report_id, category, status, lon, lat])
    receivers.on_report_changed(None, report_id=report_id, old_location=None, new_location=(lon, lat))
    return report_id


def report_move(report_id, old, new):
    q("UPDATE reports_report SET location = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s",
      [*new, report_id])
    receivers.on_report_changed(None, report_id=report_id, old_location=old, new_location=new)


def report_close(report_id, where, status="rejected"):
    q("UPDATE reports_report SET status = %s WHERE id = %s", [status, report_id])
    receivers.on_report_changed(None, report_id=report_id, old_location=where, new_location=where)


def cell_counts(lon, lat):
    """z -> public count in the cell holding (lon, lat); below the stored
    zooms, the stored cells of CELL_MIN_ZOOM inside that cell (as read)."""
    out = {}
    for z in range(aggregates.CELL_MAX_ZOOM + 1):
        size = aggregates.cell_size(z)
        (row,) = q("SELECT floor((ST_X(p) + %s) / %s)::int, floor((%s - ST_Y(p)) / %s)::int FROM"
                   " (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) AS p) s",
                   [aggregates.MERC_HALF, size, aggregates.MERC_HALF, size, lon, lat])
        base = next(s for s in aggregates.CELL_ZOOMS if s >= z)
        out[z] = q("SELECT COALESCE(sum(n), 0) FROM tiles_reportcell WHERE z = %s AND cx >> %s = %s"
                   " AND cy >> %s = %s AND category_id = 1 AND status <> 'rejected'",
                   [base, base - z, row[0], base - z, row[1]])[0][0]
    return out


def tile_features(client, z, lon_lat):
    x, y = tile_of(*lon_lat, z)
    response = client.get(f"/tiles/reports/{z}/{x}/{y}.mvt")
    assert response.status_code in (200, 204)
    return (decode(response.content).get("reports", {}).get("features", []) if response.status_code == 200
            else []), response


def test_triggers_keep_cells_through_create_move_and_close(reports_schema):
    rid = uuid.uuid4()
    q("INSERT INTO reports_report VALUES (%s, 1, 'received', false, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
      [rid, *HERE])
    assert set(cell_counts(*HERE).values()) == {1}
    q("UPDATE reports_report SET location = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s", [*FAR, rid])
    here, far = cell_counts(*HERE), cell_counts(*FAR)
    # Coarse zooms: one cell holds both places; fine zooms: moved out.
    assert all(far[z] == 1 for z in far)
    assert here[12] == 0 and here[0] == 1
    q("UPDATE reports_report SET status = 'rejected' WHERE id = %s", [rid])
    assert set(cell_counts(*FAR).values()) == {0}
    q("DELETE FROM reports_report WHERE id = %s", [rid])
    assert q("SELECT COALESCE(sum(n), 0) FROM tiles_reportcell")[0][0] == 0


def _cells_with_several_rows():
    return q("SELECT count(*) FROM (SELECT 1 FROM tiles_reportcell"
             " GROUP BY z, cx, cy, category_id, status, confidential HAVING count(*) > 1) d")[0][0]


def test_compaction_folds_each_cell_into_one_row_and_changes_no_tile(reports_layer):
    ids = [report_create(*HERE) for _ in range(3)]
    report_move(ids[0], HERE, FAR)
    report_close(ids[1], HERE)
    # Every write appended its change: the cell of HERE has several rows.
    assert _cells_with_several_rows() > 0
    tiles = {(z, place): vector.tile_render([(reports_layer, None)], vector.TileRequest(z, *tile_of(*place, z)))
             for z in (3, 6, 9, 12) for place in (HERE, FAR)}
    counts = cell_counts(*HERE), cell_counts(*FAR)
    read, written = aggregates.cells_compact()
    assert read > written > 0
    assert _cells_with_several_rows() == 0
    assert q("SELECT count(*) FROM tiles_reportcell WHERE n = 0")[0][0] == 0
    assert (cell_counts(*HERE), cell_counts(*FAR)) == counts
    assert counts[0][12] == 1 and counts[1][12] == 1  # one report left at each place (one rejected)
    for (z, place), body in tiles.items():
        assert vector.tile_render([(reports_layer, None)], vector.TileRequest(z, *tile_of(*place, z))) == body


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_to_one_cell_do_not_wait_for_each_other():
    """Two submissions in the same place: the second commits while the first
    is still open (cells are appended, no row is shared), and both count."""
    import psycopg

    settings = connection.settings_dict
    dsn = dict(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"] or None,
               password=settings["PASSWORD"] or None, dbname=settings["NAME"])
    schema = f"tiles_c{uuid.uuid4().hex[:8]}"
    setup = psycopg.connect(**dsn, autocommit=True)
    first = psycopg.connect(**dsn)
    second = psycopg.connect(**dsn)
    try:
        setup.execute(f"CREATE SCHEMA {schema}")
        setup.execute(f"SET search_path = {schema}, public")
        setup.execute("""CREATE TABLE reports_report (id uuid PRIMARY KEY, category_id int NOT NULL,
                         status varchar(20) NOT NULL, confidential boolean NOT NULL DEFAULT false,
                         location geometry(Point, 4326) NOT NULL)""")
        setup.execute("CREATE TABLE tiles_reportcell (LIKE public.tiles_reportcell INCLUDING ALL)")
        setup.execute(aggregates.TRIGGER_SQL)
        insert = ("INSERT INTO reports_report VALUES (gen_random_uuid(), 1, 'received', false,"
                  " ST_SetSRID(ST_MakePoint(%s, %s), 4326))")
        for conn in (first, second):
            conn.execute(f"SET search_path = {schema}, public")
            conn.execute("SET lock_timeout = '2s'")
        first.execute(insert, HERE)  # open, not committed
        second.execute(insert, HERE)  # would wait (and time out) on a row the first one updated
        second.commit()
        first.commit()
        assert setup.execute("SELECT z, sum(n) FROM tiles_reportcell GROUP BY z ORDER BY z").fetchall() == [
            (z, 2) for z in aggregates.CELL_ZOOMS]
    finally:
        first.close()
        second.close()
        setup.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        setup.close()


def test_bulk_insert_is_counted_like_single_rows(reports_schema):
    q("""INSERT INTO reports_report SELECT gen_random_uuid(), 1, 'received', false,
           ST_SetSRID(ST_MakePoint(109.30 + g * 0.001, -0.10), 4326) FROM generate_series(1, 300) g""")
    assert q("SELECT sum(n) FROM tiles_reportcell WHERE z = 8")[0][0] == 300
    incremental = q("SELECT z, cx, cy, n, sum_x, sum_y FROM tiles_reportcell ORDER BY 1, 2, 3")
    q("TRUNCATE tiles_reportcell")
    q(aggregates.REBUILD_SQL)
    assert q("SELECT sum(n) FROM tiles_reportcell WHERE z = 12")[0][0] == 300
    rebuilt = q("SELECT z, cx, cy, n, sum_x, sum_y FROM tiles_reportcell ORDER BY 1, 2, 3")
    assert [r[:4] for r in rebuilt] == [r[:4] for r in incremental]
    # Only the stored zooms have rows; the others are grouped when read.
    assert {r[0] for r in rebuilt} == set(aggregates.CELL_ZOOMS) == {6, 8, 10, 12}


def test_cells_at_each_stored_zoom_equal_the_cells_computed_at_that_zoom(reports_schema):
    """The trigger counts a report at zoom 12 and in the parents of that cell
    (cx >> k); that must be the cell its position falls in at each zoom."""
    # Points on both sides of cell edges at several zooms (0.0005 deg apart).
    q("""INSERT INTO reports_report SELECT gen_random_uuid(), 1, 'received', false,
           ST_SetSRID(ST_MakePoint(109.0 + g * 0.0005, -0.9 + g * 0.0004), 4326) FROM generate_series(1, 2000) g""")
    mismatched = q("""
        SELECT z.z, count(*) FROM reports_report r
          CROSS JOIN unnest(%s::int[]) AS z(z)
          CROSS JOIN LATERAL (SELECT ST_Transform(r.location, 3857) AS m) t
          LEFT JOIN tiles_reportcell c ON c.z = z.z
               AND c.cx = floor((ST_X(t.m) + %s) / (%s / 2 ^ (z.z + 4)))::int
               AND c.cy = floor((%s - ST_Y(t.m)) / (%s / 2 ^ (z.z + 4)))::int
         WHERE c.z IS NULL GROUP BY 1""",
                   [list(aggregates.CELL_ZOOMS), aggregates.MERC_HALF, 2 * aggregates.MERC_HALF,
                    aggregates.MERC_HALF, 2 * aggregates.MERC_HALF])
    assert mismatched == []
    assert q("SELECT z, sum(n) FROM tiles_reportcell GROUP BY z ORDER BY z") == [
        (z, 2000) for z in aggregates.CELL_ZOOMS]


def test_precomputed_clusters_equal_clusters_computed_live(client, reports_layer, tile_cache):
    q("""INSERT INTO reports_report SELECT gen_random_uuid(), 1 + (g %% 4), 'received', false,
           ST_SetSRID(ST_MakePoint(109.30 + (g %% 37) * 0.004, -0.20 + (g %% 23) * 0.005), 4326)
           FROM generate_series(1, 500) g""")
    for z in (0, 3, 5, 6, 7, 8, 9, 10, 11, 12):  # 0-5 from the stored zoom 6, odd zooms from the next even one
        t = vector.TileRequest(z, *tile_of(109.35, -0.15, z))
        cells = vector.tile_render([(reports_layer, None)], t)
        sql, params = vector._live_clusters_sql(reports_layer, t, None)
        (live,) = q("SELECT " + sql, params)[0]
        as_set = lambda body: sorted((f["properties"]["count"], tuple(f["geometry"]["coordinates"]))  # noqa: E731
                                     for f in decode(bytes(body))["reports"]["features"])
        assert as_set(cells) == as_set(live)
        if z <= 8:  # the whole area in one tile: only the P0 quarter is counted
            assert sum(c for c, _ in as_set(cells)) == 125


def test_create_move_close_refresh_every_touched_tile_and_no_other(client, reports_layer, tile_cache,
                                                                  django_assert_num_queries):
    unaffected = (109.25, -0.55)
    for z in range(0, 21):
        tile_features(client, z, HERE)
        tile_features(client, z, FAR)
    _, far_tile = tile_features(client, 14, unaffected)
    assert far_tile["X-Tile-Cache"] == "miss"

    rid = report_create(*HERE)
    for z in range(0, 21):
        features, response = tile_features(client, z, HERE)
        assert response["X-Tile-Cache"] == "miss", z
        assert sum(f["properties"].get("count", 1) for f in features) == 1, z
        if z >= 13:
            (feature,) = features
            px, py = pixel_in_tile(*HERE, z, *tile_of(*HERE, z))
            fx, fy = feature["geometry"]["coordinates"]
            assert abs(fx - px) <= 1 and abs(fy - py) <= 1 and feature["properties"]["id"] == str(rid)
    with django_assert_num_queries(2):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        assert tile_features(client, 14, unaffected)[1]["X-Tile-Cache"] == "hit"
        assert tile_features(client, 14, FAR)[1]["X-Tile-Cache"] == "hit"

    report_move(rid, HERE, FAR)
    for z in range(0, 21):
        at_far, _ = tile_features(client, z, FAR)
        assert sum(f["properties"].get("count", 1) for f in at_far) == 1, z
        if z >= 10:  # HERE and FAR are in different tiles from here on
            assert tile_features(client, z, HERE)[0] == [], z

    report_close(rid, FAR)
    for z in range(0, 21):
        assert tile_features(client, z, FAR)[0] == [], z
    with django_assert_num_queries(1):  # one query per tile: the cache epoch (tiles.cache), and a miss its statement
        assert tile_features(client, 14, unaffected)[1]["X-Tile-Cache"] == "hit"


@pytest.mark.parametrize("z", [7, 10, 12])
def test_a_cluster_near_a_tile_edge_is_in_both_tiles_and_a_write_refreshes_both(client, reports_layer, tile_cache, z):
    """Issue 19: a cluster circle (up to 24 px) whose cell lies 1.5 cells
    (24 px) inside a tile's east edge is carried by the neighbour too (its
    buffer holds CLUSTER_MARGIN_CELLS cells), so each tile draws its part and
    the circle is whole; a write there drops the neighbour's cached tile too."""
    x, y = tile_of(*HERE, z)
    cell_deg = 360 / 2 ** z / settings.TILES_CELLS_PER_TILE
    lon = round(((x + 1) / 2 ** z * 360 - 180 - 1.5 * cell_deg) / PUBLIC_GRID_DEG) * PUBLIC_GRID_DEG
    lat = round(HERE[1] / PUBLIC_GRID_DEG) * PUBLIC_GRID_DEG
    assert tile_of(lon, lat, z) == (x, y)
    paths = [f"/tiles/reports/{z}/{x}/{y}.mvt", f"/tiles/reports/{z}/{x + 1}/{y}.mvt"]
    for path in paths:
        assert client.get(path).status_code == 204  # nothing yet, and now cached
    for _ in range(5):
        report_create(lon, lat)
    px, _ = pixel_in_tile(lon, lat, z, x, y)
    for path, expected_x in zip(paths, (px, px - 4096)):
        response = client.get(path)
        assert response.status_code == 200 and response["X-Tile-Cache"] == "miss", path
        (feature,) = decode(response.content)["reports"]["features"]
        assert feature["properties"]["count"] == 5
        assert abs(feature["geometry"]["coordinates"][0] - expected_x) <= 1, (path, feature)


@pytest.mark.parametrize("category", [2, 3, 4], ids=["P1", "P2", "P3"])
def test_restricted_categories_never_appear_in_any_tile(client, reports_layer, tile_cache, category):
    spot = (109.41, -0.12)
    q("""INSERT INTO reports_report SELECT gen_random_uuid(), %s, 'received', false,
           ST_SetSRID(ST_MakePoint(%s, %s), 4326) FROM generate_series(1, 20)""", [category, *spot])
    for z in range(0, 21):
        features, _ = tile_features(client, z, spot)
        assert features == [], z
        # ... nor under a category or status filter naming them.
        x, y = tile_of(*spot, z)
        filtered = client.get(f"/tiles/reports/{z}/{x}/{y}.mvt?category={CATEGORIES[category - 1][1]}")
        assert filtered.status_code == 204, z


def test_cache_invalidation_is_exact_for_a_point_at_every_zoom(tile_cache):
    tiles = cache.tiles_at_point(*HERE)
    assert {z for z, _, _ in tiles} == set(range(21))
    assert all(len([t for t in tiles if t[0] == z]) <= 4 for z in range(21))
