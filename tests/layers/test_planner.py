"""Planners' queries: hand-checked answers on real desa, bounds, roles."""
import datetime
import json

import pytest
from django.db import connection
from shapely.geometry import shape

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Area
from layers import planner, registry
from layers.planner import PlannerError, PointSource
from layers.registry import INTEGER, STRING, Layer

pytestmark = pytest.mark.django_db

M_PER_DEG = 111_320  # metres per degree of longitude on the equator
JAN = datetime.datetime(2026, 1, 15, 3, tzinfo=datetime.timezone.utc)
FEB = datetime.datetime(2026, 2, 15, 3, tzinfo=datetime.timezone.utc)


@pytest.fixture
def two_desa(kubu_raya, desa_shapes):
    """Two desa of different kecamatan, with an interior point each; desa A
    gets a population of 2,000 for the per-1,000 figure."""
    codes = sorted(desa_shapes)
    a_code = codes[0]
    b_code = next(c for c in codes if c[:8] != a_code[:8])
    a, b = (Area.objects.get(edition=kubu_raya, code=c) for c in (a_code, b_code))
    Area.objects.filter(pk=a.pk).update(population=2000)
    pa = desa_shapes[a_code][1].representative_point()
    pb = desa_shapes[b_code][1].representative_point()
    return {"a": a, "b": b, "pa": (pa.x, pa.y), "pb": (pb.x, pb.y)}


@pytest.fixture
def report_points(two_desa):
    """A scratch point source shaped like the planner's report source."""
    (ax, ay), (bx, by) = two_desa["pa"], two_desa["pb"]
    rows = []
    # 7 road reports (P0) in desa A, January: a tight cluster of 6 within
    # ~40 m, and one 3 km away.
    for i in range(6):
        rows.append((ax + i * 7 / M_PER_DEG, ay, "jalan-rusak", "received", JAN, two_desa["a"].id, "P0", "desa"))
    rows.append((ax + 3000 / M_PER_DEG, ay, "jalan-rusak", "resolved", JAN, two_desa["a"].id, "P0", "desa"))
    # Sick residents (P1): 3 in A (suppressed), 6 in B (shown), February.
    for i in range(3):
        rows.append((ax, ay + i * 5 / M_PER_DEG, "warga-sakit", "received", FEB, two_desa["a"].id, "P3", "desa"))
    for i in range(6):
        rows.append((bx, by + i * 5 / M_PER_DEG, "warga-sakit", "received", FEB, two_desa["b"].id, "P3", "desa"))
    # Violence (counted per kecamatan only): 6 in desa A.
    for i in range(6):
        rows.append((ax, ay - i * 5 / M_PER_DEG, "kekerasan", "received", FEB, two_desa["a"].id, "P3", "kecamatan"))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE planner_points (id serial, geom geometry(Point, 4326), category_code text,"
                       " status text, created_at timestamptz, desa_id bigint, publication_class text,"
                       " aggregate_level text)")
        cursor.executemany("INSERT INTO planner_points (geom, category_code, status, created_at, desa_id, "
                           "publication_class, aggregate_level) "
                           "VALUES (ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, %s, %s, %s)",
                           rows)
    return PointSource(sql="SELECT * FROM planner_points", params=[])


@pytest.fixture
def base_cells(two_desa):
    """The stored base table (layers_reportcountcell) as the refresh would
    write it for the points above: statistics are sums of its rounded cells
    (issue 16), not a count of points."""
    from django.utils import timezone

    from layers.models import ReportCountCell, SummaryState
    from layers.services import REPORT_COUNTS

    a, b = two_desa["a"], two_desa["b"]
    kecamatan = Area.objects.get(pk=a.parent_id)
    ReportCountCell.objects.all().delete()
    ReportCountCell.objects.bulk_create([
        ReportCountCell(area=a, category_code="jalan-rusak", month=datetime.date(2026, 1, 1), n=7),
        ReportCountCell(area=a, category_code="warga-sakit", month=datetime.date(2026, 2, 1), n=3),
        ReportCountCell(area=b, category_code="warga-sakit", month=datetime.date(2026, 2, 1), n=6),
        ReportCountCell(area=kecamatan, category_code="kekerasan", month=datetime.date(2026, 2, 1), n=6),
        ReportCountCell(area=b, category_code="warga-sakit", month=datetime.date(2026, 3, 1), n=1),
    ])
    # Fresh: the read does not rebuild the cells from the (empty) report table.
    SummaryState.objects.update_or_create(name=REPORT_COUNTS, defaults={"dirty": False,
                                                                        "refreshed_at": timezone.now()})
    return kecamatan


def test_desa_statistics_by_category_with_densities_and_rounding(two_desa, base_cells):
    rows = planner.area_statistics(level="desa", group_by=["category"])
    cells = {(r["code"], r["category"]): r for r in rows}
    a, b = two_desa["a"], two_desa["b"]
    road = cells[(a.code, "jalan-rusak")]
    assert road["count"] == 5  # 7 rounded to the nearest 5
    assert road["per_1000_residents"] == 2.5
    assert road["per_km2"] == pytest.approx(5 / a.boundary.area_km2, rel=1e-3)
    assert cells[(a.code, "warga-sakit")]["count"] == 5  # 3
    assert cells[(b.code, "warga-sakit")]["count"] == 5  # 6 + 1 -> 5 + 0
    assert cells[(b.code, "warga-sakit")]["per_1000_residents"] is None  # population unknown
    assert not [r for r in rows if r["category"] == "kekerasan"]


def test_kecamatan_only_category_is_counted_per_kecamatan(two_desa, base_cells):
    rows = planner.area_statistics(level="kecamatan", group_by=["category"], categories=["kekerasan"])
    assert [(r["code"], r["count"]) for r in rows] == [(base_cells.code, 5)]


def test_kecamatan_statistics_by_month_and_no_status(two_desa, base_cells):
    rows = planner.area_statistics(level="kecamatan", group_by=["category", "period"], period="month",
                                   categories=["jalan-rusak"])
    assert [(r["code"], r["period"], r["count"]) for r in rows] == [(two_desa["a"].code[:8], "2026-01-01", 5)]
    with pytest.raises(PlannerError):
        planner.area_statistics(level="kecamatan", group_by=["status"])


def test_statistics_windows_are_whole_months(two_desa, base_cells):
    feb = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)
    rows = planner.area_statistics(level="desa", group_by=[], start=feb)
    assert {r["code"]: r["count"] for r in rows} == {two_desa["a"].code: 5, two_desa["b"].code: 5}
    # Moved by a day or a second, a window selects the same months: a window
    # cannot be narrowed to one report.
    for start in (feb + datetime.timedelta(days=10), feb + datetime.timedelta(seconds=1)):
        assert planner.area_statistics(level="desa", group_by=[], start=start) == rows
    march = datetime.datetime(2026, 3, 5, tzinfo=datetime.timezone.utc)
    assert planner.area_statistics(level="desa", group_by=[], start=feb, end=march) == [
        r for r in rows if r["count"]] or rows


def test_no_hotspots_for_kecamatan_only_categories(report_points):
    assert planner.hotspots(source=report_points, category="kekerasan", eps_m=50, min_points=5) == []


def test_hotspot_finds_the_tight_cluster_only_snapped_and_rounded(two_desa, report_points):
    from common.publication import PUBLIC_GRID_DEG

    features = planner.hotspots(source=report_points, category="jalan-rusak", eps_m=100, min_points=5)
    assert len(features) == 1
    assert features[0]["properties"]["count"] == 5  # 6 rounded
    box = shape(features[0]["geometry"])
    ax, ay = two_desa["pa"]
    for i in range(6):
        assert box.contains(shape({"type": "Point", "coordinates": [ax + i * 7 / M_PER_DEG, ay]}))
    # Nothing finer than the public grid: the centroid and every vertex are grid nodes.
    g = PUBLIC_GRID_DEG
    for value in [*features[0]["properties"]["centroid"], *[v for xy in box.exterior.coords for v in xy]]:
        assert abs(value / g - round(value / g)) < 1e-6, value


def test_hotspot_bounds(report_points):
    with pytest.raises(PlannerError):
        planner.hotspots(source=report_points, category="jalan-rusak", eps_m=50_000, min_points=5)
    with pytest.raises(PlannerError):
        planner.hotspots(source=report_points, category="jalan-rusak", eps_m=50, min_points=2)


@pytest.fixture
def points_layer(report_points):
    layer = Layer(id="dataset-planner-points", title="Titik", description="", geometry_type="Point",
                  geometry_treatment="exact", kip_class="berkala", legal_basis="-", producer="-", licence="-",
                  update_frequency="-", id_type=INTEGER,
                  base_sql=lambda: ("SELECT id, geom, category_code FROM planner_points WHERE publication_class = 'P0'",
                                    []),
                  field_types={"category_code": STRING})

    def provider():
        return [layer]

    registry.register_provider(provider)
    yield layer
    registry._providers.remove(provider)


def test_buffer_in_metres_of_a_point(two_desa, points_layer):
    ax, ay = two_desa["pa"]
    # Road reports at 0, 7, ... 35 m east of the point and one at 3 km.
    centre = planner.geometry_parse({"type": "Point", "coordinates": [ax + 30 / M_PER_DEG, ay]})
    # Distances: 30, 23, 16, 9, 2, 5 m and 2,970 m.
    _, count = planner.features_within(layer=points_layer, geometry=centre, buffer_m=10)
    assert count == 3
    _, count = planner.features_within(layer=points_layer, geometry=centre, buffer_m=8)
    assert count == 2
    _, count = planner.features_within(layer=points_layer, geometry=centre, buffer_m=2960)
    assert count == 6
    _, count = planner.features_within(layer=points_layer, geometry=centre, buffer_m=2980)
    assert count == 7


def test_buffer_of_a_line_and_within_desa(two_desa, points_layer):
    ax, ay = two_desa["pa"]
    road = planner.geometry_parse({"type": "LineString", "coordinates": [[ax + 2900 / M_PER_DEG, ay - 0.01],
                                                                       [ax + 2900 / M_PER_DEG, ay + 0.01]]})
    features, count = planner.features_within(layer=points_layer, geometry=road, buffer_m=200)
    assert count == 1 and json.loads(features)[0]["geometry"]["coordinates"][0] == pytest.approx(ax + 3000 / M_PER_DEG)
    _, count = planner.features_within(layer=points_layer, desa_codes=[two_desa["b"].code])
    assert count == 0


def test_desa_layer_within_a_posted_polygon(two_desa):
    ax, ay = two_desa["pa"]
    box = {"type": "Polygon", "coordinates": [[[ax - 1e-4, ay - 1e-4], [ax + 1e-4, ay - 1e-4], [ax + 1e-4, ay + 1e-4],
                                               [ax - 1e-4, ay + 1e-4], [ax - 1e-4, ay - 1e-4]]]}
    features, count = planner.features_within(layer=registry.layer_get("desa"), geometry=planner.geometry_parse(box))
    assert two_desa["a"].code in [f["id"] for f in json.loads(features)]


def test_result_bound(two_desa, settings):
    settings.LAYERS_PLANNER_MAX_RESULTS = 5
    with pytest.raises(PlannerError) as error:
        planner.features_within(layer=registry.layer_get("desa"), geometry=planner.geometry_parse(
            {"type": "Polygon", "coordinates": [[[109, -1.1], [110.1, -1.1], [110.1, 0.3], [109, 0.3], [109, -1.1]]]}))
    assert error.value.code == "result_too_large"


@pytest.fixture
def planner_client(client, kubu_raya):
    user = user_create(username="perencana", password="rahasia-sekali-123")
    membership_grant(user=user, role=Role.PLANNER)
    client.force_login(user)
    return client


def test_planner_endpoints_need_the_planner_role(client, kubu_raya):
    assert client.post("/api/v1/planner/within", {}, content_type="application/json").status_code in (401, 403)
    assert client.get("/api/v1/planner/statistics").status_code in (401, 403)
    user = user_create(username="warga", password="rahasia-sekali-123")
    membership_grant(user=user, role=Role.RESIDENT)
    client.force_login(user)
    assert client.get("/api/v1/planner/hotspots?category=x").status_code == 403


def test_planner_within_over_http(planner_client, two_desa):
    ax, ay = two_desa["pa"]
    response = planner_client.post("/api/v1/planner/within", {
        "layer": "desa", "geometry": {"type": "Point", "coordinates": [ax, ay]}, "buffer_m": 50},
        content_type="application/json")
    assert response.status_code == 200
    assert two_desa["a"].code in [f["id"] for f in json.loads(response.content)["features"]]


@pytest.mark.parametrize("body,code", [
    ({"layer": "desa"}, "invalid_query"),
    ({"layer": "desa", "geometry": {"type": "Point", "coordinates": [109.5]}}, "invalid_geometry"),
    ({"layer": "desa", "geometry": "not json"}, "invalid_geometry"),
    ({"layer": "desa", "geometry": {"type": "Point", "coordinates": [200, 0]}}, "invalid_geometry"),
    ({"layer": "desa", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
     "invalid_geometry"),
    ({"layer": "desa", "geometry": {"type": "Point", "coordinates": [109.5, 0]}, "buffer_m": 10_000_000},
     "buffer_too_large"),
    ({"layer": "desa", "geometry": {"type": "LineString",
                                    "coordinates": [[109 + i * 1e-4, 0] for i in range(6000)]}}, "geometry_too_large"),
    ({"layer": "desa", "desa": ["61.12.01.2001"], "buffer_m": 5}, "invalid_query"),
])
def test_malformed_or_oversized_queries_get_clear_400s(planner_client, body, code):
    response = planner_client.post("/api/v1/planner/within", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert json.loads(response.content)["code"] == code


def test_unknown_layer_is_404(planner_client):
    response = planner_client.post("/api/v1/planner/within", {"layer": "nope", "desa": ["x"]},
                                   content_type="application/json")
    assert response.status_code == 404


def test_statement_timeout_is_a_clear_error(planner_client, settings):
    settings.LAYERS_PLANNER_TIMEOUT_MS = 1
    big = {"type": "Polygon", "coordinates": [[[109, -1.1], [110.1, -1.1], [110.1, 0.3], [109, 0.3], [109, -1.1]]]}
    response = planner_client.post("/api/v1/planner/within", {"layer": "service-areas", "geometry": big},
                                   content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "query_timeout"
    # The connection is usable afterwards.
    settings.LAYERS_PLANNER_TIMEOUT_MS = 15000
    assert planner_client.get("/ogc/collections/desa/items?limit=1").status_code == 200


def test_statistics_and_hotspots_over_real_reports(planner_client, two_desa):
    import uuid

    from django.contrib.gis.geos import Point
    from reports.models import Category, Report

    road, _ = Category.objects.update_or_create(code="uji-jalan", version=1, defaults={
        "name_id": "Jalan", "name_en": "Road", "publication_class": "P0", "aggregate_level": "desa",
        "target_days": 5})
    sick, _ = Category.objects.update_or_create(code="uji-sakit", version=1, defaults={
        "name_id": "Sakit", "name_en": "Sick", "publication_class": "P3", "aggregate_level": "desa",
        "target_days": 2})
    ax, ay = two_desa["pa"]
    a = two_desa["a"]
    for i, (category, status) in enumerate([(road, "received")] * 6 + [(road, "rejected"), (sick, "received")]):
        Report.objects.create(id=uuid.uuid4(), tracking_code=f"KR-T{i:03d}", category=category, status=status,
                              location=Point(ax + i * 5 / M_PER_DEG, ay, srid=4326), desa=a, kecamatan=a.parent,
                              created_at=JAN, updated_at=JAN, deadline=JAN.date(), description="rahasia")
    response = planner_client.get("/api/v1/planner/statistics?level=desa&group_by=category")
    assert response.status_code == 200
    cells = {(r["code"], r["category"]): r["count"] for r in response.json()["results"]}
    assert cells[(a.code, "uji-jalan")] == 5  # 6 (the rejected one is not counted), rounded
    assert cells[(a.code, "uji-sakit")] == 0  # 1, rounded
    response = planner_client.get("/api/v1/planner/hotspots?category=uji-jalan&eps_m=100&min_points=5")
    assert response.status_code == 200
    features = response.json()["features"]
    assert [f["properties"]["count"] for f in features] == [5]
    from layers.models import PlannerAccess
    assert PlannerAccess.objects.filter(endpoint="hotspots").count() == 1
    assert PlannerAccess.objects.filter(endpoint="statistics").count() == 1
    assert planner_client.get("/api/v1/planner/hotspots?category=uji-jalan&eps_m=-1").status_code == 400
    assert planner_client.get("/api/v1/planner/statistics?level=rt").status_code == 400
