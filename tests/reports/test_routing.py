"""Routing on real desa points: category x area (x service area) -> agency."""
import pytest
from django.contrib.gis.geos import Point

from geo.models import Agency, Area
from geo.selectors import point_locate
from reports import taxonomy
from reports.models import Category, Report, RoutingDecision, RoutingRule
from reports.selectors import _LEVEL_RANK, _default_result, _rule_result, routing_decide

from .conftest import KAMPUNG_BARU, SUNGAI_RAYA, TELUK_KAPUAS, client_for

HEALTH_PKM = {code for code, *rest in taxonomy.CATEGORIES if rest[-1]}


def _locate(desa_point, code):
    lon, lat = desa_point(code)
    return point_locate(lon=lon, lat=lat)


def _route(category, desa_point, code):
    """The submission's routing (routing_decide, one SQL statement) at the desa's point."""
    lon, lat = desa_point(code)
    return routing_decide(category=category, location=point_locate(lon=lon, lat=lat, with_service_areas=False),
                          point=Point(lon, lat, srid=4326))


def routing_oracle(*, category, location):
    """The tests' oracle: the routing rule ranked in Python over the rules of
    the category and the lookup's service areas (location.service_areas), the
    order of reports.selectors.routing_decide's docstring."""
    from django.db.models import Q

    area_ids = [a.id for a in (location.desa, location.kecamatan, location.kabupaten) if a is not None]
    rules = (RoutingRule.objects.filter(category=category, is_active=True, agency__is_active=True)
             .filter(Q(area__isnull=True) | Q(area_id__in=area_ids))
             .select_related("agency", "area", "service_area"))
    service_area_ids = [s.id for s in location.service_areas]
    best, best_key = None, None
    for rule in rules:
        if rule.area_id is not None and rule.area_id not in area_ids:
            continue
        if rule.service_area_id is not None and rule.service_area_id not in service_area_ids:
            continue
        key = (_LEVEL_RANK.get(rule.area.level, 0) if rule.area_id else 0,
               1 if rule.service_area_id else 0, -rule.id)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    if best is not None:
        return _rule_result(category, best, best.area if best.area_id else None,
                            best.service_area.name if best.service_area_id else None)
    return _default_result(category)


@pytest.mark.parametrize("code", [c[0] for c in taxonomy.CATEGORIES])
def test_every_seeded_category_routes_on_a_kubu_desa(taxonomy, desa_point, code):
    category = Category.objects.get(code=code, is_active=True)
    location = _locate(desa_point, KAMPUNG_BARU)
    assert location.desa.code == KAMPUNG_BARU
    result = _route(category, desa_point, KAMPUNG_BARU)
    if code in HEALTH_PKM:
        assert result.agency.code == "pkm-kubu"
        assert result.rule is not None
    elif category.default_agency is None:
        assert result.agency is None and "triase" in result.reason
    else:
        # Kampung Baru lies outside the Sungai Raya fire post radius.
        assert result.agency == category.default_agency
        assert "bawaan" in result.reason


@pytest.mark.parametrize("desa,expected", [(SUNGAI_RAYA, "pkm-sungai-durian"),
                                           (TELUK_KAPUAS, "pkm-sungai-raya-dalam")])
def test_health_visit_goes_to_the_puskesmas_of_the_working_area(taxonomy, desa_point, desa, expected):
    category = Category.objects.get(code="health-visit")
    assert _route(category, desa_point, desa).agency.code == expected


def test_building_fire_inside_the_fire_post_radius_goes_to_the_post(taxonomy, desa_point):
    category = Category.objects.get(code="building-fire")
    result = _route(category, desa_point, SUNGAI_RAYA)
    assert result.agency.code == "damkar-pos-sungai-raya"
    assert "wilayah layanan" in result.reason


def test_most_specific_rule_wins(taxonomy, desa_point):
    category = Category.objects.get(code="road-damage")
    kecamatan = Area.objects.get(code="61.12.01", edition__is_current=True)
    desa = Area.objects.get(code=SUNGAI_RAYA, edition__is_current=True)
    kabupaten = Area.objects.get(code="61.12", edition__is_current=True)
    RoutingRule.objects.create(category=category, area=kabupaten, agency=Agency.objects.get(code="dishub"))
    RoutingRule.objects.create(category=category, area=kecamatan, agency=Agency.objects.get(code="kec-01"))
    RoutingRule.objects.create(category=category, area=desa, agency=Agency.objects.get(code="satpolpp"))
    assert _route(category, desa_point, SUNGAI_RAYA).agency.code == "satpolpp"
    # Same kecamatan, another desa: the kecamatan rule beats the kabupaten rule.
    assert _route(category, desa_point, TELUK_KAPUAS).agency.code == "kec-01"
    # Another kecamatan: only the kabupaten rule matches.
    assert _route(category, desa_point, KAMPUNG_BARU).agency.code == "dishub"


def test_nothing_matching_goes_to_triage_and_the_decision_is_stored(taxonomy, submit, users):
    response = submit(users["resident"], category="other", photo=None)
    assert response.status_code == 201, response.content
    assert response.json()["agency"] is None
    report = Report.objects.get(id=response.json()["id"])
    decision = RoutingDecision.objects.get(report=report)
    assert decision.kind == "automatic" and decision.agency is None and "triase" in decision.reason
    queue = [r["id"] for r in client_for(users["coordinator"]).get("/api/v1/reports/queue/").json()["results"]]
    assert str(report.id) in queue


def test_service_areas_matched_in_the_rules_query_route_like_the_lookup(taxonomy, desa_point):
    """routing_decide matches service areas in SQL (the submission path); it
    must pick the same rule as the oracle over the lookup's service areas for
    every category on every desa with a polygon, the fire post's radius included."""
    from django.contrib.gis.geos import Point
    from geo.selectors import desa_centroids
    # Categories with rules (Puskesmas working areas, the fire post radius)
    # and one with only a default agency.
    categories = list(Category.objects.filter(is_active=True, routing_rules__isnull=False).distinct())
    categories.append(Category.objects.get(code="road-damage", is_active=True))
    differences, by_service_area = [], 0
    for code, lon, lat in desa_centroids():
        full = point_locate(lon=lon, lat=lat)
        bare = point_locate(lon=lon, lat=lat, with_service_areas=False)
        for category in categories:
            expected = routing_oracle(category=category, location=full)
            got = routing_decide(category=category, location=bare, point=Point(lon, lat, srid=4326))
            if (expected.agency, expected.rule, expected.reason) != (got.agency, got.rule, got.reason):
                differences.append((code, category.code, expected.reason, got.reason))
            by_service_area += expected.rule is not None and expected.rule.service_area_id is not None
    assert differences == []
    assert by_service_area > 100  # Puskesmas working areas and the fire post were exercised


# usefixtures come before the arguments' fixtures: local execution is on first.
@pytest.mark.usefixtures("citus_local_execution")
def test_an_inactive_agency_gets_no_reports_from_a_submission_or_an_import(taxonomy, desa_point):
    """A rule or default agency whose agency is deactivated is passed over
    alike by the submission's routing and the bulk import's: the next rule,
    else the default agency, else triage."""
    import datetime
    import uuid

    from django.utils import timezone

    from reports.bulk import ImportRow, reports_import

    fire = Category.objects.get(code="building-fire")
    post = _locate(desa_point, SUNGAI_RAYA)
    Agency.objects.filter(code="damkar-pos-sungai-raya").update(is_active=False)
    Agency.objects.filter(code="pupr").update(is_active=False)
    road = Category.objects.get(code="road-damage")
    assert road.default_agency.code == "pupr"
    expected = {"building-fire": routing_oracle(category=fire, location=post).agency,
                "road-damage": routing_oracle(category=road, location=post).agency}
    assert expected["building-fire"] is not None and expected["building-fire"].code != "damkar-pos-sungai-raya"
    assert expected["road-damage"] is None  # its only agency is inactive: triage
    # The submission path (routing in SQL with the point) decides the same.
    point = Point(*desa_point(SUNGAI_RAYA), srid=4326)
    assert routing_decide(category=fire, location=post, point=point).agency == expected["building-fire"]
    assert routing_decide(category=road, location=post, point=point).agency is None
    now = timezone.now() - datetime.timedelta(hours=1)
    lon, lat = desa_point(SUNGAI_RAYA)
    rows = [ImportRow(id=uuid.uuid4(), tracking_code=f"KR-INAK-000{i}", category_code=code, lon=lon, lat=lat,
                      created_at=now) for i, code in enumerate(expected)]
    assert reports_import(rows=rows)["inserted"] == 2
    imported = dict(Report.objects.filter(tracking_code__startswith="KR-INAK").values_list("category__code",
                                                                                          "agency_id"))
    assert imported == {code: agency.id if agency else None for code, agency in expected.items()}
