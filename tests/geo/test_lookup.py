"""Point-to-area lookup on the real Kubu Raya boundaries, edge cases by name."""
import csv
import itertools
from pathlib import Path

import pytest
import shapely
from django.conf import settings
from django.db import connection
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.ops import unary_union

from geo.models import Area
from geo.services import OUTPUT_GRID
from geo.selectors import point_locate, points_assign_desa

KAMPUNG_BARU = "61.12.06.2011"
PINANG_DALAM = "61.12.06.2016"
SUNGAI_DERAS = "61.12.08.2006"
ARUS_DERAS = "61.12.08.2013"
URL = "/api/v1/areas/covering"


def _hole_points(geom):
    polygons = list(getattr(geom, "geoms", [geom]))
    return [ShapelyPolygon(ring).representative_point() for p in polygons for ring in p.interiors]


def _exterior_vertices(geom):
    # Vertices of the stored boundary: the source's, on the 7-decimal output
    # grid (geo.services.geometry_for_output).
    geom = shapely.set_precision(geom, OUTPUT_GRID)
    polygons = list(getattr(geom, "geoms", [geom]))
    return {xy for p in polygons for xy in p.exterior.coords}


def test_point_in_kampung_baru_enclave_resolves_to_pinang_dalam(client, kubu_raya, desa_shapes):
    holes = _hole_points(desa_shapes[KAMPUNG_BARU][1])
    assert len(holes) == 2
    for hole in holes:
        body = client.get(URL, {"lon": hole.x, "lat": hole.y}).json()
        assert body["desa"]["code"] == PINANG_DALAM
        assert body["approximate"] is False
        assert body["also_covered_by"] == []


def test_point_in_sungai_deras_enclave_resolves_to_arus_deras(client, kubu_raya, desa_shapes):
    (hole,) = _hole_points(desa_shapes[SUNGAI_DERAS][1])
    assert client.get(URL, {"lon": hole.x, "lat": hole.y}).json()["desa"]["code"] == ARUS_DERAS


def test_island_points_fall_south_of_the_equator_inside_a_desa(kubu_raya):
    path = Path(settings.KR_DATA_DIR) / "kubu_raya_pulau.csv"
    with path.open() as f:
        islands = [r for r in csv.DictReader(f) if r["inside_desa_code"]]
    assert len(islands) == 45
    for island in islands:
        location = point_locate(lon=float(island["lng"]), lat=float(island["lat"]))
        assert location is not None, island["name"]
        assert location.desa.code == island["inside_desa_code"], island["name"]
        assert location.approximate is False
    south = [r for r in islands if float(r["lat"]) < 0]
    assert len(south) >= 44  # Pulau Hanyut (0.0233) is the one north of the equator


def test_island_with_raw_positive_latitude_is_outside_coverage(client, kubu_raya):
    # Pulau Apong Sembilan as the source published it (lat +0.7171): 54 km away.
    response = client.get(URL, {"lon": 109.5084, "lat": 0.7171})
    assert response.status_code == 404
    assert response.json()["code"] == "outside_coverage"


def test_point_on_shared_edge_follows_lowest_code_rule(client, kubu_raya, desa_shapes):
    # A vertex exactly shared by two neighbouring desa is covered by both.
    a, b = "61.12.01.2001", "61.12.01.2017"
    shared = sorted(_exterior_vertices(desa_shapes[a][1]) & _exterior_vertices(desa_shapes[b][1]))
    assert shared
    lon, lat = shared[len(shared) // 2]
    body = client.get(URL, {"lon": lon, "lat": lat}).json()
    covered = {body["desa"]["code"], *(x["code"] for x in body["also_covered_by"])}
    assert {a, b} <= covered
    assert body["desa"]["code"] == min(covered)
    # Deterministic: the same answer every time.
    assert client.get(URL, {"lon": lon, "lat": lat}).json()["desa"]["code"] == body["desa"]["code"]


def test_point_inside_bbox_but_outside_polygon_goes_to_the_covering_desa(kubu_raya, desa_shapes):
    name, geom = desa_shapes[KAMPUNG_BARU]
    minx, miny, maxx, maxy = geom.bounds
    others = {c: g for c, (_, g) in desa_shapes.items() if c != KAMPUNG_BARU}
    found = None
    steps = 25
    for i, j in itertools.product(range(1, steps), repeat=2):
        p = ShapelyPoint(minx + (maxx - minx) * i / steps, miny + (maxy - miny) * j / steps)
        if not geom.covers(p):
            owners = [c for c, g in others.items() if g.covers(p)]
            if len(owners) == 1:
                found = (p, owners[0])
                break
    assert found, "no test point found"
    point, owner = found
    location = point_locate(lon=point.x, lat=point.y)
    assert location.desa.code == owner != KAMPUNG_BARU


def test_sea_point_near_the_coast_is_approximate_with_distance(client, kubu_raya, desa_shapes):
    regency = unary_union([g for _, g in desa_shapes.values()])
    # Walk west from a coastal vertex of Sungai Kakap's coast until just outside land.
    west = min((xy for poly in regency.geoms for xy in poly.exterior.coords), key=lambda xy: xy[0])
    point = ShapelyPoint(west[0] - 0.002, west[1])  # about 220 m west of the westernmost vertex
    assert not regency.covers(point)
    body = client.get(URL, {"lon": point.x, "lat": point.y}).json()
    assert body["approximate"] is True
    assert 100 < body["distance_m"] <= 500


def test_far_point_is_outside_coverage(client, kubu_raya):
    response = client.get(URL, {"lon": 106.8456, "lat": -6.2088})  # Jakarta
    assert response.status_code == 404
    assert response.json()["code"] == "outside_coverage"
    assert response.json()["message"]


def test_sea_point_beyond_tolerance_is_outside_coverage(client, kubu_raya, desa_shapes):
    regency = unary_union([g for _, g in desa_shapes.values()])
    west = min((xy for poly in regency.geoms for xy in poly.exterior.coords), key=lambda xy: xy[0])
    response = client.get(URL, {"lon": west[0] - 0.02, "lat": west[1]})  # ~2.2 km out
    assert response.status_code == 404


@pytest.mark.parametrize("params", [
    {"lon": "abc", "lat": "-0.1"},
    {"lon": "109.4"},
    {"lon": "190", "lat": "0"},
    {"lon": "109.4", "lat": "-95"},
    {"lon": "nan", "lat": "0"},
    {"lon": "", "lat": ""},
])
def test_bad_coordinates_give_400_with_a_code(client, kubu_raya, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_coordinates"
    assert body["message"]


def test_lookup_returns_the_hierarchy_and_service_areas(client, kubu_raya):
    # Padang Tikar Satu (61.12.05.2004), served by Puskesmas Padang Tikar.
    location = Area.objects.get(edition=kubu_raya, code="61.12.05.2004").boundary.geom.point_on_surface
    body = client.get(URL, {"lon": location.x, "lat": location.y}).json()
    assert body["kabupaten"]["code"] == "61.12"
    assert body["kecamatan"] == {"code": "61.12.05", "name": "Batu Ampar", "level": "kecamatan"}
    agencies = {sa["agency"]["code"] for sa in body["service_areas"]}
    assert "pkm-padang-tikar" in agencies
    assert "pkm-batu-ampar" not in agencies
    assert "kec-05" in agencies and "dinkes" in agencies
    assert "MIT" in body["attribution"]


def test_geometry_defined_service_area_covers_by_distance(client, kubu_raya):
    near = client.get(URL, {"lon": 109.3712, "lat": -0.10}).json()   # ~3 km from the fire post
    far = client.get(URL, {"lon": 109.60, "lat": -0.90}).json()      # Batu Ampar, ~90 km
    assert "damkar-pos-sungai-raya" in {sa["agency"]["code"] for sa in near["service_areas"]}
    assert "damkar-pos-sungai-raya" not in {sa["agency"]["code"] for sa in far["service_areas"]}


def test_bulk_assignment_agrees_with_single_lookup(kubu_raya, desa_shapes):
    lons, lats = [], []
    for i, (code, (_, geom)) in enumerate(sorted(desa_shapes.items())):
        p = geom.representative_point()
        lons.append(p.x)
        lats.append(p.y)
    lons += [106.8, 109.0533 - 0.001]
    lats += [-6.2, -0.5]
    result = points_assign_desa(lons=lons, lats=lats)
    ids = {a.id: a.code for a in Area.objects.filter(edition=kubu_raya, level="desa")}
    for lon, lat, desa_id in zip(lons, lats, result.desa_ids):
        single = point_locate(lon=lon, lat=lat, with_service_areas=False)
        assert (ids.get(desa_id) if desa_id else None) == (single.desa.code if single else None)
    assert result.desa_ids[-2] is None


def test_bulk_assignment_through_cells_agrees_with_single_lookup_on_a_grid_with_coast_and_sea(kubu_raya,
                                                                                               desa_shapes):
    # The bulk path (lookup cells, hash join) and the single path (GiST probe
    # of the parts) are separate implementations of one rule: a regular grid
    # over the regency's bounding box (land, shared edges, rivers, sea within
    # and beyond the tolerance) must get the same desa and flag from both.
    regency = unary_union([g for _, g in desa_shapes.values()])
    minx, miny, maxx, maxy = regency.bounds
    steps = 24
    lons = [minx - 0.01 + (maxx - minx + 0.02) * (i + 0.37) / steps for i in range(steps) for _ in range(steps)]
    lats = [miny - 0.01 + (maxy - miny + 0.02) * (j + 0.61) / steps for _ in range(steps) for j in range(steps)]
    # Points just off the westernmost coast: approximate, then beyond the tolerance.
    west = min((xy for poly in regency.geoms for xy in poly.exterior.coords), key=lambda xy: xy[0])
    for offset in (0.0005, 0.002, 0.004, 0.0046, 0.02):
        lons.append(west[0] - offset)
        lats.append(west[1])
    result = points_assign_desa(lons=lons, lats=lats)
    ids = {a.id: a.code for a in Area.objects.filter(edition=kubu_raya, level="desa")}
    kinds = {"covered": 0, "approximate": 0, "outside": 0}
    for lon, lat, desa_id, approx in zip(lons, lats, result.desa_ids, result.approximate):
        single = point_locate(lon=lon, lat=lat, with_service_areas=False)
        assert (ids.get(desa_id), approx) == ((single.desa.code, single.approximate) if single else (None, False)), \
            (lon, lat)
        kinds["outside" if single is None else "approximate" if single.approximate else "covered"] += 1
    assert kinds["covered"] > 100 and kinds["approximate"] >= 2 and kinds["outside"] > 50


def test_lookup_statement_is_prepared_once_and_its_plan_reused(kubu_raya):
    # Django turns psycopg's prepared statements off on its connections; the
    # lookup asked for prepare=True and was silently planned on every call.
    # Django's own statements must stay unprepared (they bind on the client).
    def lookup_plans():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement, generic_plans + custom_plans, generic_plans"
                           " FROM pg_prepared_statements WHERE NOT from_sql")
            return cursor.fetchall()

    before = {s: (n, g) for s, n, g in lookup_plans()}
    for i in range(8):
        assert point_locate(lon=109.40 + i * 0.001, lat=-0.10).desa is not None
        list(Area.objects.filter(edition=kubu_raya, level="kecamatan")[:3])
    statements = lookup_plans()
    assert len(statements) == 1
    statement, executions, generic = statements[0]
    assert "covering AS" in statement
    assert executions - before.get(statement, (0, 0))[0] == 8
    assert generic >= 1  # PostgreSQL settled on one generic plan (no planning per call)


@pytest.fixture
def drf_dispatches(count_drf_dispatches):
    """How many requests reached DRF's dispatch (the lean path skips it)."""
    from geo.apis import AreasCoveringApi
    return count_drf_dispatches(AreasCoveringApi)


def _answer(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, headers, response.content


def test_lean_path_answers_byte_for_byte_as_drf(client, kubu_raya, desa_shapes, drf_dispatches):
    regency = unary_union([g for _, g in desa_shapes.values()])
    west = min((xy for poly in regency.geoms for xy in poly.exterior.coords), key=lambda xy: xy[0])
    inside = [g.representative_point() for _, (_, g) in sorted(desa_shapes.items())[::9]]
    edge = next(xy for xy in _exterior_vertices(desa_shapes[KAMPUNG_BARU][1])
                if point_locate(lon=xy[0], lat=xy[1]).also_covered_by)
    points = [(p.x, p.y) for p in inside] + [edge, (west[0] - 0.002, west[1]), (106.8456, -6.2088)]
    kinds = set()
    for lon, lat in points:
        params = {"lon": repr(lon), "lat": repr(lat)}
        lean = client.get(URL, params)
        assert drf_dispatches == []
        drf = client.get(URL, {**params, "format": "json"})
        assert len(drf_dispatches) == 1
        drf_dispatches.clear()
        assert _answer(lean) == _answer(drf), (lon, lat)
        body = lean.json()
        kinds.add("outside" if lean.status_code == 404 else "approximate" if body["approximate"]
                  else "shared edge" if body["also_covered_by"] else "inside")
    assert kinds == {"inside", "shared edge", "approximate", "outside"}
    # English on request, from either path
    lean = client.get(URL, {"lon": "106.8", "lat": "-6.2"}, HTTP_ACCEPT_LANGUAGE="en")
    drf = client.get(URL, {"lon": "106.8", "lat": "-6.2", "format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert _answer(lean) == _answer(drf) and lean["Content-Language"] == "en"


@pytest.mark.parametrize("params, headers", [
    ({"lon": "abc", "lat": "-0.1"}, {}),            # invalid: DRF's validation answers
    ({"lon": "109.4", "lat": "nan"}, {}),
    ({"lon": "190", "lat": "0"}, {}),
    ({"lon": "109.4"}, {}),
    ({"lon": "109.4", "lat": "-0.1"}, {"HTTP_ACCEPT": "text/html"}),  # the browsable API
    ({"lon": "109.4", "lat": "-0.1"}, {"HTTP_ACCEPT": "application/json; indent=2"}),
    ({"lon": "109.4", "lat": "-0.1"}, {"HTTP_AUTHORIZATION": "Token nope"}),  # 401 from DRF
])
def test_requests_the_lean_path_cannot_answer_exactly_go_through_drf(client, kubu_raya, drf_dispatches,
                                                                      params, headers):
    response = client.get(URL, params, **headers)
    assert len(drf_dispatches) == 1
    assert response.status_code in (200, 400, 401)
    if response.status_code != 200:
        assert response.json()["code"] in ("invalid_coordinates", "not_authenticated")


def test_lean_path_keeps_the_per_ip_throttle_and_counts_a_request_once(client, kubu_raya, monkeypatch,
                                                                        drf_dispatches):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "anon", "3/min")
    cache.clear()
    try:
        point = {"lon": "109.3724", "lat": "-0.0715"}
        codes = [client.get(URL, point).status_code for _ in range(3)]
        assert codes == [200, 200, 200] and drf_dispatches == []
        refused = client.get(URL, point)
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled"
        assert int(refused["Retry-After"]) > 0
        assert len(cache.get("throttle_anon_127.0.0.1")) == 3  # the refused one is not recorded
        assert len(cache.get("throttle_user_127.0.0.1")) == 4  # DRF records it where allowed
        drf = client.get(URL, {**point, "format": "json"})
        assert (drf.status_code, drf.json()["code"]) == (429, "throttled")
    finally:
        cache.clear()


def test_covering_endpoint_is_still_documented_in_the_openapi_schema(kubu_raya):
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][URL]["get"]
    assert operation["summary"].startswith("Which kabupaten, kecamatan, desa")
    assert {(p["name"], p["required"]) for p in operation["parameters"]} >= {("lon", True), ("lat", True)}


def test_both_paths_check_the_throttles_as_drf_does(client, kubu_raya, monkeypatch):
    # DRF's per-IP and per-user throttles (common.throttles): each reads its
    # history and writes it back once, on either path of the view.
    from django.core.cache import cache, caches

    backend, calls, depth = caches["default"], [], [0]
    for name in ("get", "set", "get_many", "set_many"):
        method = getattr(backend, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            if not depth[0]:
                calls.append(_name)
            depth[0] += 1
            try:
                return _method(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    cache.clear()
    try:
        assert client.get(URL, {"lon": "109.3724", "lat": "-0.0715"}).status_code == 200
        assert calls == ["get", "set", "get", "set"]
        assert len(cache.get("throttle_anon_127.0.0.1")) == len(cache.get("throttle_user_127.0.0.1")) == 1
        calls.clear()
        assert client.get(URL, {"lon": "109.3724", "lat": "-0.0715", "format": "json"}).status_code == 200
        assert calls == ["get", "set", "get", "set"]  # DRF's own check
        assert len(cache.get("throttle_anon_127.0.0.1")) == 2
    finally:
        cache.clear()


def test_lean_path_answers_a_signed_in_user_as_drf_and_throttles_per_user(client, kubu_raya, drf_dispatches):
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    user = get_user_model().objects.create_user(username="warga-peta", password="x-panjang-sekali-1")
    client.force_login(user)
    cache.clear()
    try:
        point = {"lon": "109.3724", "lat": "-0.0715"}
        lean = client.get(URL, point)
        assert drf_dispatches == []
        drf = client.get(URL, {**point, "format": "json"})
        assert _answer(lean) == _answer(drf)
        assert len(cache.get(f"throttle_user_{user.pk}")) == 2  # keyed by the user, from both paths
        assert cache.get("throttle_anon_127.0.0.1") is None  # the anonymous limit is not theirs
    finally:
        cache.clear()


def test_lean_path_is_off_when_the_view_asks_for_a_permission(kubu_raya, rf):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.permissions import IsAuthenticated

    from geo.apis import AreasCoveringApi

    guarded = type("GuardedCoveringApi", (AreasCoveringApi,), {"permission_classes": [IsAuthenticated]}).as_view()
    request = rf.get(URL, {"lon": "109.3724", "lat": "-0.0715"})
    request.user = AnonymousUser()
    response = guarded(request)
    assert response.status_code in (401, 403)


def test_prepared_lookups_plan_generically_and_the_bulk_assignment_for_its_points(kubu_raya):
    """Connections keep one generic plan per prepared statement
    (DB_PLAN_CACHE_MODE); the bulk assignment, whose arrays also travel as
    server-side parameters, is planned for their values (a generic plan,
    blind to the number of points, ran 90x slower at 200,000 points)."""
    from django.db import transaction

    from geo.selectors import points_assign_settings

    def mode(cursor):
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        assert mode(cursor) == settings.DB_PLAN_CACHE_MODE == "force_generic_plan"
        with transaction.atomic():
            with points_assign_settings(cursor):
                assert mode(cursor) == "force_custom_plan"
            assert mode(cursor) == "force_generic_plan"
    result = points_assign_desa(lons=[109.37235561811173, 106.8], lats=[-0.07154622349995066, -6.2])
    assert result.desa_ids[0] is not None and result.desa_ids[1] is None
