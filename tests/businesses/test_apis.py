"""HTTP API: GeoJSON search, privacy of home-based points and owner data,
owner self-service, verification, consent, audit and statistics."""
import json

import pytest

from businesses.models import Business, BusinessAudit, Verification
from businesses.signals import business_changed
from businesses.policy import businesses_public

from .oracle import business_public_dict

LIST = "/api/v1/businesses/"


def detail(pk):
    return f"/api/v1/businesses/{pk}/"


def public_bodies(client, business, exact_lon, exact_lat, desa_lon, desa_lat) -> list[str]:
    """Every public output of this app that can show the business."""
    queries = [
        {}, {"q": business.name}, {"q": "keripik"}, {"sector": business.sector},
        {"near": f"{exact_lon},{exact_lat}", "radius_m": 2000},
        {"near": f"{desa_lon},{desa_lat}", "radius_m": 50},
        {"bbox": f"{desa_lon - 0.01},{desa_lat - 0.01},{desa_lon + 0.01},{desa_lat + 0.01}"},
        {"desa": business.desa.code}, {"kecamatan": business.kecamatan.code},
    ]
    bodies = []
    for params in queries:
        r = client.get(LIST, params)
        assert r.status_code == 200, r.content
        assert any(f["id"] == business.pk for f in r.json()["features"]), params
        bodies.append(r.content.decode())
    r = client.get(detail(business.pk))
    assert r.status_code == 200
    bodies.append(r.content.decode())
    public = businesses_public().get(pk=business.pk)
    bodies.append(json.dumps(business_public_dict(public)))
    return bodies


def test_search_returns_geojson_feature_collection(client, home_business):
    r = client.get(LIST, {"q": "kripik"})
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 1
    feature = body["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert feature["properties"]["name"] == "Keripik Pisang Bu Ani"
    assert feature["properties"]["kbli"] == [{"code": "10794",
                                              "title": "Industri Kerupuk, Keripik, Peyek dan Sejenisnya"}]
    assert feature["properties"]["scale"] == "mikro"


def test_home_based_without_consent_never_exposes_exact_point(client, home_business, sungai_raya_point):
    exact_lon, exact_lat = sungai_raya_point[0] + 0.003, sungai_raya_point[1]
    bodies = public_bodies(client, home_business, exact_lon, exact_lat, *sungai_raya_point)
    exact_texts = {f"{exact_lon:.6f}", f"{exact_lon:.5f}", f"{exact_lon:.4f}", repr(exact_lon)}
    for body in bodies:
        for text in exact_texts:
            assert text not in body
    near_exact = client.get(LIST, {"near": f"{exact_lon},{exact_lat}", "radius_m": 2000}).json()["features"][0]
    assert near_exact["geometry"]["coordinates"] == [round(c, 6) for c in sungai_raya_point]
    assert near_exact["properties"]["location_precision"] == "desa"
    # The distance is to the desa point (about 334 m), not to the home (0 m).
    assert 320 < near_exact["properties"]["distance_m"] < 345


def test_owner_identity_and_figures_never_public(client, home_business, owner):
    bodies = public_bodies(client, home_business, home_business.location.x, home_business.location.y,
                           home_business.public_location.x, home_business.public_location.y)
    secrets = [owner.name, "Suryani", owner.nik, owner.home_address, "Melati", owner.phone, "75000000",
               "240000000", '"owner', "capital", "annual_sales", "verification_note"]
    for body in bodies:
        for secret in secrets:
            assert secret not in body


def test_registration_numbers_public_only_with_consent(client, owner_user, home_business, verifier):
    client.force_login(verifier)
    client.post(f"/api/v1/businesses/{home_business.pk}/certificates/",
                {"kind": "pirt", "number": "206611201012345"}, content_type="application/json")
    client.logout()
    props = client.get(detail(home_business.pk)).json()["properties"]
    assert props["has_nib"] is True and props["nib"] is None
    assert props["certificates"][0]["kind"] == "pirt" and props["certificates"][0]["number"] is None
    assert "9120001234567" not in client.get(LIST).content.decode()
    client.force_login(owner_user)
    r = client.post(f"/api/v1/businesses/{home_business.pk}/consents/",
                    {"kind": "registration_numbers", "granted": True, "channel": "online_form"},
                    content_type="application/json")
    assert r.status_code == 201
    props = client.get(detail(home_business.pk)).json()["properties"]
    assert props["nib"] == "9120001234567" and props["certificates"][0]["number"] == "206611201012345"


def test_exact_location_consent_is_recorded_and_can_be_withdrawn(client, owner_user, home_business,
                                                               sungai_raya_point, django_capture_on_commit_callbacks):
    received = []
    business_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-consent")
    try:
        client.force_login(owner_user)
        url = f"/api/v1/businesses/{home_business.pk}/consents/"
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(url, {"kind": "exact_location", "granted": True, "channel": "online_form",
                                  "note": "Setuju lewat formulir daring"}, content_type="application/json")
        assert r.status_code == 201 and r.json()["recorded_at"]
        feature = client.get(detail(home_business.pk)).json()
        assert feature["geometry"]["coordinates"][0] == round(sungai_raya_point[0] + 0.003, 6)
        assert feature["properties"]["location_precision"] == "exact"
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"kind": "exact_location", "granted": False, "channel": "phone"},
                        content_type="application/json")
        feature = client.get(detail(home_business.pk)).json()
        assert feature["geometry"]["coordinates"] == [round(c, 6) for c in sungai_raya_point]
    finally:
        business_changed.disconnect(dispatch_uid="test-consent")
    assert [(k["old_location"].x, k["new_location"].x) for k in received] == [
        (sungai_raya_point[0], sungai_raya_point[0] + 0.003), (sungai_raya_point[0] + 0.003, sungai_raya_point[0])]
    assert home_business.consents.filter(kind="exact_location").count() == 2


def test_verification_flow(client, owner_user, other_user, verifier, sungai_raya_point):
    lon, lat = sungai_raya_point
    client.force_login(owner_user)
    r = client.post(LIST, {"name": "Kopi Liberika Rasau", "products": "kopi bubuk liberika", "kbli_codes": ["10761"],
                           "lon": lon + 0.001, "lat": lat, "nib": "9120009876543", "capital_idr": 300_000_000,
                           "owner_name": "Rahmat"}, content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["verification_status"] == "pending" and r.json()["scale"] == "mikro"
    # Only a verifier decides.
    assert client.post(f"/api/v1/businesses/{pk}/verification/", {"decision": "verified"},
                       content_type="application/json").status_code == 403
    client.force_login(verifier)
    assert [b["id"] for b in client.get("/api/v1/businesses/pending/").json()["results"]] == [pk]
    r = client.post(f"/api/v1/businesses/{pk}/verification/", {"decision": "verified", "note": "cek OSS"},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["verification_status"] == "verified"
    # A plain edit keeps the verification; a change of NIB sends it back.
    client.force_login(owner_user)
    r = client.patch(detail(pk), {"description": "Kopi khas gambut"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["verification_status"] == "verified"
    r = client.patch(detail(pk), {"nib": "9120001111111"}, content_type="application/json")
    assert r.json()["verification_status"] == "pending"
    client.force_login(verifier)
    client.post(f"/api/v1/businesses/{pk}/verification/", {"decision": "verified"}, content_type="application/json")
    # New figures crossing a threshold change the scale: pending again.
    client.force_login(owner_user)
    r = client.patch(detail(pk), {"capital_idr": 1_000_000_001}, content_type="application/json")
    assert (r.json()["scale"], r.json()["verification_status"]) == ("kecil", "pending")
    client.force_login(verifier)
    client.post(f"/api/v1/businesses/{pk}/verification/", {"decision": "verified"}, content_type="application/json")
    # A new certificate: the certificate and the business are pending until verified.
    client.force_login(owner_user)
    r = client.post(f"/api/v1/businesses/{pk}/certificates/",
                    {"kind": "halal", "number": "ID61110000777", "halal_route": "self_declare"},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["verification_status"] == "pending"
    assert Business.objects.get(pk=pk).verification_status == Verification.PENDING
    client.force_login(verifier)
    client.post(f"/api/v1/businesses/{pk}/verification/", {"decision": "verified"}, content_type="application/json")
    business = Business.objects.get(pk=pk)
    assert business.verification_status == "verified"
    assert business.certificates.get().verification_status == "verified"
    # Someone else cannot edit; nobody anonymous either.
    client.force_login(other_user)
    assert client.patch(detail(pk), {"name": "Dibajak"}, content_type="application/json").status_code == 403
    client.logout()
    assert client.patch(detail(pk), {"name": "Dibajak"}, content_type="application/json").status_code == 401
    # The audit trail names restricted changes without copying the figures.
    actions = list(BusinessAudit.objects.filter(business_id=pk).values_list("action", flat=True))
    assert actions == ["created", "verified", "updated", "updated", "verified", "updated", "verified",
                       "certificate_added", "verified"]
    figures = BusinessAudit.objects.filter(business_id=pk, changes__has_key="capital_idr").get()
    assert figures.changes["capital_idr"] == "(diubah)" and "1000000001" not in json.dumps(figures.changes)
    client.force_login(owner_user)
    assert len(client.get(f"/api/v1/businesses/{pk}/audit/").json()["results"]) == 9


def test_bad_input_changes_nothing(client, owner_user, home_business):
    client.force_login(owner_user)
    before = Business.objects.count()
    r = client.post(LIST, {"name": "Di Laut Jawa", "lon": 110.5, "lat": -3.0}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "outside_regency"
    r = client.post(LIST, {"name": "NIB pendek", "lon": home_business.location.x, "lat": home_business.location.y,
                           "nib": "12345"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid_nib"
    r = client.patch(detail(home_business.pk), {"name": "Nama Baru", "kbli_codes": ["99999"]},
                     content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "unknown_kbli"
    assert Business.objects.count() == before
    assert Business.objects.get(pk=home_business.pk).name == "Keripik Pisang Bu Ani"


@pytest.mark.parametrize("params, field", [
    ({"near": "abc"}, "near"), ({"radius_m": 100}, "radius_m"), ({"limit": 1000}, "limit"),
    ({"bbox": "1,2,3"}, "bbox"), ({"sector": "tambang"}, "sector"),
    ({"near": "109.3,-0.1", "radius_m": 999_999}, "radius_m"),
])
def test_bad_search_parameters_are_400_with_fields(client, db, params, field):
    r = client.get(LIST, params)
    assert r.status_code == 400 and field in r.json()["fields"]


def test_pagination_links_to_next_page(client, make_business):
    for i in range(3):
        make_business(name=f"Warung {i}", dx=0.001 * i)
    first = client.get(LIST, {"limit": 2}).json()
    assert first["numberReturned"] == 2 and first["links"][0]["rel"] == "next"
    second = client.get(first["links"][0]["href"]).json()
    assert second["numberReturned"] == 1 and second["links"] == []
    assert {f["id"] for f in first["features"]}.isdisjoint({f["id"] for f in second["features"]})


def test_statistics_api_is_for_the_agency_only(client, verifier, other_user, home_business):
    assert client.get("/api/v1/businesses/stats/").status_code in (401, 403)
    client.force_login(other_user)
    assert client.get("/api/v1/businesses/stats/").status_code == 403
    client.force_login(verifier)
    body = client.get("/api/v1/businesses/stats/", {"group_by": "desa"}).json()
    assert body["counts"][0]["count"] == 1 and body["certificate_coverage"][0]["without_halal_or_pirt"] == 1
    assert body["new_per_month"][0]["count"] == 1


def test_owner_sees_own_business_with_exact_point(client, owner_user, other_user, home_business):
    client.force_login(owner_user)
    mine = client.get("/api/v1/businesses/mine/").json()["results"]
    assert [b["id"] for b in mine] == [home_business.pk]
    assert mine[0]["location"]["lon"] == home_business.location.x and mine[0]["capital_idr"] == 75_000_000
    client.force_login(other_user)
    assert client.get("/api/v1/businesses/mine/").json()["results"] == []


def test_business_changed_is_sent_on_commit_with_public_points(make_business, sungai_raya_point,
                                                                django_capture_on_commit_callbacks):
    received = []
    business_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-create")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            business = make_business(name="Rumah Jahit", dx=0.002, is_home_based=True)
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        business_changed.disconnect(dispatch_uid="test-create")
    assert len(received) == 1 and received[0]["business_id"] == business.pk
    assert received[0]["old_location"] is None
    assert (received[0]["new_location"].x, received[0]["new_location"].y) == sungai_raya_point


@pytest.mark.parametrize("business_id", ["0", "9223372036854775808", "95299702474285629612176179200"])
def test_an_id_no_business_can_have_is_a_404_not_a_500(client, home_business, business_id):
    """Found by schemathesis: an id past PostgreSQL's bigint reached the SQL detail page."""
    response = client.get(f"/api/v1/businesses/{business_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
