"""The Django tables distributed on Citus (issue 23, ops.citus): the main queries of
one regency are router queries, one task on one shard, read from `EXPLAIN` on the
real engine. Runs where the test database is a Citus coordinator with the tables
distributed (scripts/citus-suite.sh, `make citus-test`); on one PostgreSQL the
module is skipped with that reason, and the last test checks that
`citus_distribute` changes nothing there."""
import math
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from ops.citus import DISTRIBUTED, REFERENCE, is_distributed
from reports.models import PublicReport, Report, ReportEvent
from reports.selectors import reports_queue

from .conftest import SUNGAI_RAYA
from .test_regencies import PONTIANAK, PONTIANAK_DESA, inside, pontianak  # noqa: F401 (fixture)


def on_citus() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None and is_distributed(cursor)


@pytest.fixture
def distributed(db):
    if not on_citus():
        pytest.skip("needs the tables distributed on Citus: scripts/citus-suite.sh (make citus-test)")


def explain(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, list(params))
        return "\n".join(r[0] for r in cursor.fetchall())


def task_count(plan: str) -> int:
    """Tasks of the plan's distributed scan; a fast-path/router plan has one."""
    counts = [int(n) for n in re.findall(r"Task Count: (\d+)", plan)]
    assert counts, plan
    return max(counts)


def captured(queries, prefix: str) -> str:
    sqls = [q["sql"] for q in queries if prefix in q["sql"]]
    assert sqls, f"no query with {prefix!r}"
    return sqls[0]


@pytest.mark.usefixtures("distributed")
def test_the_plan_of_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT logicalrelid::text, partmethod, colocationid FROM pg_dist_partition")
        kinds = {t: (m, c) for t, m, c in cursor.fetchall()}
        cursor.execute("SELECT relkind FROM pg_class WHERE relname IN ('reports_public_report', 'tiles_reportcell')")
        assert {k for (k,) in cursor.fetchall()} == {"v"}
    anchor = kinds["reports_report"]
    assert all(kinds[t] == anchor and anchor[0] == "h" for t in DISTRIBUTED)  # one co-location group
    assert all(kinds[t][0] == "n" for t in REFERENCE)  # reference tables


@pytest.mark.usefixtures("distributed", "pontianak")
def test_one_regencys_queries_are_router_queries(submit, users, make_user):
    with CaptureQueriesContext(connection) as queries:
        response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    assert report.regency_code == PONTIANAK
    # The submission: the report, its event and routing decision in one statement, one shard.
    insert = captured(queries.captured_queries, 'INSERT INTO "reports_report"')
    assert task_count(explain(insert)) == 1
    # A staff member's queue (always filtered by their regency).
    staff = make_user("staf_pupr_pontianak", Role.AGENCY_STAFF, "6171-pupr")
    queue = reports_queue(user=staff)
    assert report.id in {r.id for r in queue}
    assert task_count(queue.explain()) == 1
    coordinator = make_user("koordinator_pontianak", Role.COORDINATOR, "6171-diskominfo")
    assert task_count(reports_queue(user=coordinator).explain()) == 1
    # A report and its timeline, where the regency is known.
    detail = Report.objects.select_related("category", "desa", "agency").filter(id=report.id,
                                                                                regency_code=PONTIANAK)
    assert task_count(detail.explain()) == 1
    timeline = ReportEvent.objects.filter(report_id=report.id, regency_code=PONTIANAK).order_by("created_at")
    assert task_count(timeline.explain()) == 1
    # The public projection of one regency in a tile's envelope (a view on Citus).
    lon, lat = inside(PONTIANAK_DESA)
    x = int((lon + 180) / 360 * 2 ** 14)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** 14)
    tile = PublicReport.objects.extra(
        where=["regency_code = %s", "location && ST_Transform(ST_TileEnvelope(14, %s, %s), 4326)"],
        params=[PONTIANAK, x, y])
    assert report.id in {r.id for r in tile}
    assert task_count(tile.explain()) == 1
    # Kubu Raya's report of the same kind: another shard; the province-wide count fans out.
    kr = submit(users["resident"], category="road-damage", desa=SUNGAI_RAYA)
    assert kr.status_code == 201, kr.content
    assert task_count(Report.objects.filter(regency_code="61.12").values("id").explain()) == 1
    assert task_count(explain("SELECT count(*) FROM reports_report")) > 1


@pytest.mark.usefixtures("distributed", "pontianak")
def test_tracking_by_code_is_a_router_query(submit, users):
    """The tracking code's prefix names the regency (PT- for Kota Pontianak): the
    tracking API and page look the code up on one shard, not on every shard."""
    from django.test import Client
    from django.urls import reverse

    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    code = Report.objects.get(id=response.json()["id"]).tracking_code
    assert code.startswith("PT-")
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/reports/track/{code}/").status_code == 200
        assert client.get(reverse("portal:lacak", kwargs={"code": code})).status_code == 200
    lookups = [q["sql"] for q in queries.captured_queries
               if 'FROM "reports_report"' in q["sql"] and '"tracking_code" =' in q["sql"]]
    assert len(lookups) >= 3, lookups  # the API's, the page's tracking view and its report
    for sql in lookups:
        assert task_count(explain(sql)) == 1, sql
    # Without the regency the same lookup would ask every shard.
    assert task_count(Report.objects.filter(tracking_code=code).values("id").explain()) > 1


@pytest.mark.usefixtures("distributed", "pontianak")
def test_nearby_for_a_crew_whose_agencies_span_two_regencies_is_one_router_query_per_regency(submit, users):
    """A LATERAL ... LIMIT across shards is refused by Citus: the nearby list of a
    crew with agencies in Kota Pontianak and Kubu Raya asks each regency's shard
    on its own and merges the answers, nearest first."""
    from reports.selectors import reports_nearby

    pt = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    kr = submit(users["resident"], category="road-damage", desa=SUNGAI_RAYA)
    assert pt.status_code == 201 and kr.status_code == 201, (pt.content, kr.content)
    pt_report, kr_report = (Report.objects.get(id=r.json()["id"]) for r in (pt, kr))
    assert {pt_report.regency_code, kr_report.regency_code} == {PONTIANAK, "61.12"}
    agencies = {pt_report.agency_id, kr_report.agency_id}
    lon, lat = inside(PONTIANAK_DESA)
    with CaptureQueriesContext(connection) as queries:
        found = reports_nearby(agency_ids=agencies, lon=lon, lat=lat, radius_m=100_000)
    assert [r.id for r in found] == [pt_report.id, kr_report.id]  # Pontianak's is at the point itself
    assert found[0].distance_m < found[1].distance_m
    nearby = [q["sql"] for q in queries.captured_queries if "CROSS JOIN LATERAL" in q["sql"]]
    assert len(nearby) == 2, nearby
    for sql in nearby:
        assert task_count(explain(sql)) == 1, sql
    # The limit holds over the merge: the nearest one only.
    assert [r.id for r in reports_nearby(agency_ids=agencies, lon=lon, lat=lat, radius_m=100_000, limit=1)] \
        == [pt_report.id]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


@pytest.fixture
def outlines(db, request):
    """Kota Pontianak and Kubu Raya (around it) both with their outlines."""
    request.getfixturevalue("pontianak")
    call_command("geo_load_kalbar", "61.12", "--commit")


@pytest.mark.usefixtures("pontianak")
def test_a_tile_names_the_regencies_whose_outlines_it_touches():
    """tiles.vector.tile_regencies, on any engine: a z14 tile inside Kota Pontianak
    names it; a regency without an outline (Kubu Raya from geo_load_kubu_raya) is
    always named; no outline at all: no regency filter (None)."""
    from geo.models import RegencyOutline
    from tiles.vector import TileRequest, tile_regencies

    def box(z, x, y):
        size = 2 * 20037508.342789244 / 2 ** z
        x0, y1 = -20037508.342789244 + x * size, 20037508.342789244 - y * size
        return [x0, y1 - size, x0 + size, y1]

    lon, lat = inside(PONTIANAK_DESA)
    t = TileRequest(14, *_tile_of(lon, lat, 14))
    assert tile_regencies(box(t.z, t.x, t.y)) == ["61.12", PONTIANAK]
    call_command("geo_load_kalbar", "61.12", "--commit")
    assert tile_regencies(box(t.z, t.x, t.y)) == [PONTIANAK]
    # A z9 tile over the city reaches Kubu Raya around it.
    t9 = TileRequest(9, *_tile_of(lon, lat, 9))
    assert tile_regencies(box(t9.z, t9.x, t9.y)) == ["61.12", PONTIANAK]
    # Far away (the open sea west of Kalimantan): none.
    far = TileRequest(14, *_tile_of(106.0, 0.0, 14))
    assert tile_regencies(box(far.z, far.x, far.y)) == []
    RegencyOutline.objects.all().delete()
    assert tile_regencies(box(t.z, t.x, t.y)) is None


@pytest.mark.usefixtures("distributed", "outlines")
def test_a_regencys_point_tile_is_a_router_query(submit, users, settings):
    """A reports tile at z >= 9 (points from z13) inside one regency names it:
    `regency_code = '61.71'` on the tiles' view of the projection, one task."""
    import mapbox_vector_tile

    from layers.registry import layer_get
    from tiles.vector import TileRequest, tile_render, tile_sql

    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    report_id = response.json()["id"]
    layer = layer_get("reports")
    lon, lat = inside(PONTIANAK_DESA)
    t = TileRequest(14, *_tile_of(lon, lat, 14))
    sql, params = tile_sql([(layer, {})], t)
    assert "regency_code" in sql and PONTIANAK in params
    assert task_count(explain(sql, params)) == 1
    features = mapbox_vector_tile.decode(tile_render([(layer, {})], t))["reports"]["features"]
    assert report_id in {f["id"] if isinstance(f["id"], str) else f["properties"].get("id")
                         for f in features} | {str(f.get("id")) for f in features}
    # Without the regency named the same tile asks every shard.
    settings.KR_CITUS = False
    plain, plain_params = tile_sql([(layer, {})], t)
    assert "regency_code" not in plain
    assert task_count(explain(plain, plain_params)) > 1


@pytest.mark.usefixtures("distributed", "outlines")
def test_a_regencys_cluster_tile_is_a_router_query(submit, users, settings):
    """A reports cluster tile at z 9-12 (the tiles_reportcell view, grouped by
    regency on Citus) names the regencies its cells' outlines meet: inside Kubu
    Raya (Kecamatan Kubu) `regency_code = '61.12'`, one task; a tile across the
    Pontianak border sums the cells of both regencies, as without the filter."""
    import mapbox_vector_tile

    from layers.registry import layer_get
    from tiles.vector import TileRequest, tile_render, tile_sql

    from .conftest import KAMPUNG_BARU

    def counts(t):
        layer_tile = mapbox_vector_tile.decode(tile_render([(layer, {})], t)).get("reports", {"features": []})
        return sorted(f["properties"]["count"] for f in layer_tile["features"])

    layer = layer_get("reports")
    kubu = inside(KAMPUNG_BARU)
    points = (kubu, inside(PONTIANAK_DESA), inside(SUNGAI_RAYA))
    for point in points:
        response = submit(users["resident"], category="road-damage", point=point)
        assert response.status_code == 201, response.content
    for z in (10, 11, 12):
        t = TileRequest(z, *_tile_of(*kubu, z))
        sql, params = tile_sql([(layer, {})], t)
        assert "tiles_reportcell" in sql and "regency_code = %s" in sql and "61.12" in params, z
        assert task_count(explain(sql, params)) == 1, z
        assert counts(t) == [1], z
    # Kota Pontianak and Kubu Raya around it: both named, their cells summed.
    t9 = TileRequest(9, *_tile_of(*inside(PONTIANAK_DESA), 9))
    assert t9 == TileRequest(9, *_tile_of(*inside(SUNGAI_RAYA), 9))
    sql, params = tile_sql([(layer, {})], t9)
    assert "regency_code = ANY(%s)" in sql and ["61.12", PONTIANAK] in params
    named = counts(t9)
    assert sum(named) == sum(_tile_of(*p, 9) == (t9.x, t9.y) for p in points) >= 2
    # Without the regency named: the same counts, from every shard.
    settings.KR_CITUS = False
    assert counts(t9) == named
    plain, plain_params = tile_sql([(layer, {})], TileRequest(10, *_tile_of(*kubu, 10)))
    assert "regency_code" not in plain
    assert task_count(explain(plain, plain_params)) > 1


@pytest.mark.usefixtures("distributed", "pontianak")
def test_a_report_by_its_id_for_staff_is_a_router_query(submit, users, make_user):
    """The staff detail page (/kerja/laporan/<id>/), the API's detail, timeline and
    transition: staff are scoped to their regency, so the report (and its events and
    photos) is looked up there: one task each."""
    from django.test import Client
    from django.urls import reverse

    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    report_id = response.json()["id"]
    staff = make_user("staf_pupr_pontianak", Role.AGENCY_STAFF, "6171-pupr")
    client = Client()
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal:kerja-laporan", kwargs={"report_id": report_id})).status_code == 200
        assert client.get(f"/api/v1/reports/{report_id}/").status_code == 200
        assert client.get(f"/api/v1/reports/{report_id}/timeline/").status_code == 200
        moved = client.post(f"/api/v1/reports/{report_id}/transitions/", {"to": "verified", "note": "Sudah dicek"},
                            content_type="application/json")
        assert moved.status_code == 200, moved.content
    by_id = [q["sql"] for q in queries.captured_queries
             if any(f'FROM "{t}"' in q["sql"] for t in ("reports_report", "reports_reportevent", "reports_reportphoto"))
             and report_id.replace("-", "") in q["sql"].replace("-", "")]
    assert len(by_id) >= 8, by_id
    for sql in by_id:
        assert f"'{PONTIANAK}'" in sql, sql
        assert task_count(explain(sql)) == 1, sql


def test_citus_distribute_is_a_no_op_on_one_postgresql(db, capsys):
    if on_citus():
        pytest.skip("on Citus: the plain-PostgreSQL no-op is checked by the normal suite")
    call_command("citus_distribute")
    assert "nothing to do" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'reports_public_report'")
        assert cursor.fetchone() == ("r",)
