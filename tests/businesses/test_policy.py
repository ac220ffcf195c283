"""The public business Feature, spelled once in SQL (businesses.policy:
businesses_public_page_json and its wrappers, used by the API's pages and
detail), read field by field against the tests' Python oracle (.oracle) for
every case the policy distinguishes."""
import datetime
import json

import pytest

from businesses import selectors, services
from businesses.models import Business, BusinessPhoto, Verification
from businesses.policy import business_public_feature_json, businesses_public_features_json

from .oracle import business_public_feature, businesses_public_for_output


@pytest.fixture
def varied(make_business, owner, owner_user, verifier):
    """Businesses covering what the policy treats differently."""
    home = make_business(name="Keripik Rumahan", dx=0.003, owner=owner, products="keripik pisang",
                         kbli_codes=["10794", "47111"], nib="9120001234567", is_home_based=True,
                         capital_idr=75_000_000, annual_sales_idr=240_000_000,
                         contacts=[{"kind": "whatsapp", "value": "0811-5670-001"},
                                   {"kind": "instagram", "value": "@keripik"}],
                         opening_hours={"mon": [["08:00", "17:00"]], "tue": [["08:00", "12:00"]]})
    # A home-based business whose owner consented to both: exact point and numbers.
    consented = make_business(name="Keripik Setuju", dx=0.002, dy=0.001, owner=owner, products="keripik tempe",
                              kbli_codes=["10794"], nib="9120007654321", is_home_based=True)
    for kind in ("exact_location", "registration_numbers"):
        services.consent_record(business=consented, actor=owner_user, kind=kind, granted=True,
                                channel="online_form")
    services.certificate_add(business=consented, actor=verifier, kind="pirt", number="206611201012345",
                             issued_on=datetime.date(2025, 1, 2), expires_on=datetime.date(2030, 1, 2))
    services.certificate_add(business=consented, actor=verifier, kind="halal", number="ID61110000123",
                             halal_route="self_declare")
    rejected = services.certificate_add(business=consented, actor=verifier, kind="halal",
                                        number="ID00000000000")
    rejected.verification_status = Verification.REJECTED
    rejected.save()
    BusinessPhoto.objects.create(business=consented, image="businesses/2026/11/etalase_1.jpg",
                                 caption="Etalase")
    BusinessPhoto.objects.create(business=consented, image="businesses/2026/11/produk.jpg", caption="")
    shop = make_business(name="Toko Kelontong Tanpa KBLI", dx=0.001, kbli_codes=[], products="sembako")
    unknown_code = make_business(name="Usaha Kode Lama", dx=0.0015, kbli_codes=["47111"], products="sembako")
    # A code missing from the edition (an import of older data): published with an empty title.
    Business.objects.filter(pk=unknown_code.pk).update(kbli_codes=["99999", "47111"])
    return [home, consented, shop, unknown_code]


def python_features(ids, distances=None):
    by_id = {b.pk: b for b in businesses_public_for_output(
        selectors.businesses_public().filter(pk__in=ids))}
    distances = distances or [None] * len(ids)
    return [business_public_feature(by_id[i], distance_m=d) for i, d in zip(ids, distances)]


def test_sql_features_equal_python_features(varied):
    ids = [b.pk for b in reversed(varied)]
    text, returned = businesses_public_features_json([(i, None) for i in ids])
    assert returned == len(ids)
    assert json.loads(text) == python_features(ids)
    for b in varied:
        assert json.loads(business_public_feature_json(b.pk)) == python_features([b.pk])[0]


def test_sql_features_carry_the_distance_of_a_near_search(varied, sungai_raya_point):
    rows = [(b.pk, b.distance_m.m) for b in
            selectors.businesses_search_page(limit=10, offset=0, near=sungai_raya_point, radius_m=2000)]
    assert len(rows) == len(varied)
    text, _returned = businesses_public_features_json(rows)
    assert json.loads(text) == python_features([i for i, _d in rows], [d for _i, d in rows])
    assert [f["properties"]["distance_m"] for f in json.loads(text)] == sorted(round(d, 1) for _i, d in rows)


def test_sql_features_leave_out_businesses_that_are_not_public(varied):
    closed, rejected = varied[2], varied[3]
    Business.objects.filter(pk=closed.pk).update(status=Business.Status.CLOSED)
    Business.objects.filter(pk=rejected.pk).update(verification_status=Verification.REJECTED)
    text, returned = businesses_public_features_json([(b.pk, None) for b in varied])
    assert returned == 2 and [f["id"] for f in json.loads(text)] == [varied[0].pk, varied[1].pk]
    assert business_public_feature_json(closed.pk) is None and business_public_feature_json(rejected.pk) is None
    assert businesses_public_features_json([]) == ("[]", 0)


def test_sql_features_never_carry_the_exact_point_or_the_owner(varied, owner):
    home = varied[0]
    text = business_public_feature_json(home.pk)
    feature = json.loads(text)
    assert feature["properties"]["location_precision"] == "desa" and feature["properties"]["nib"] is None
    exact = f"{home.location.x:.6f}"
    assert exact not in text
    for secret in (owner.name, owner.phone, owner.home_address, "75000000", "240000000"):
        assert secret not in text


@pytest.mark.parametrize("params", [{}, {"q": "keripik"}, {"q": "sembako"}, {"sector": "pangan_olahan"},
                                    {"near": "NEAR", "radius_m": 2000}, {"near": "NEAR", "q": "kripik"},
                                    {"bbox": "BBOX"}, {"limit": 2}, {"limit": 2, "offset": 2},
                                    {"near": "NEAR", "limit": 1, "offset": 1}])
def test_api_page_is_the_selector_page_rendered_by_the_policy(client, varied, sungai_raya_point, params):
    lon, lat = sungai_raya_point
    params = {**params}
    if "near" in params:
        params["near"] = f"{lon},{lat}"
    if "bbox" in params:
        params["bbox"] = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    body = client.get("/api/v1/businesses/", params).json()
    limit, offset = params.get("limit", 20), params.get("offset", 0)
    filters = {key: value for key, value in params.items() if key not in ("limit", "offset", "near", "bbox")}
    if "near" in params:
        filters.update(near=(lon, lat), radius_m=params.get("radius_m", 5000.0))
    if "bbox" in params:
        filters["bbox"] = tuple(map(float, params["bbox"].split(",")))
    page = selectors.businesses_search_page(limit=limit, offset=offset, **filters)
    distances = [b.distance_m.m for b in page[:limit]] if "near" in params else None
    assert page
    assert body["features"] == python_features([b.pk for b in page[:limit]], distances)
    assert body["numberReturned"] == len(page[:limit]) and body["limit"] == limit and body["offset"] == offset
    assert bool(body["links"]) == (len(page) > limit)
