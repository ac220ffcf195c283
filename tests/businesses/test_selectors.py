"""Public search: typos and spelling variants, sector, distance, bbox,
certificates, areas, and the statistics selectors."""
import datetime

import pytest
from django.contrib.gis.geos import Point

from businesses import selectors, services
from businesses.models import Business, Certificate, SearchWord, Verification

from .conftest import SUNGAI_RAYA


def names(rows):
    return [b.name for b in rows]


def search(**filters):
    return selectors.businesses_search_page(limit=50, offset=0, **filters)


@pytest.fixture
def shops(make_business):
    return {
        "keripik": make_business(name="Keripik Pisang Mak Ijah", products="keripik pisang, keripik keladi",
                                 kbli_codes=["10794"], dx=0.001),
        "bakso": make_business(name="Bakso Malang Pak Kumis", products="bakso urat, mie ayam",
                               kbli_codes=["56103"], dx=0.004),
        "susu": make_business(name="Susu Kedelai Segar", products="susu kedelai, cendol durian",
                              kbli_codes=["11040"], dx=0.008),
        "bengkel": make_business(name="Bengkel Motor Jaya", products="servis motor, tambal ban",
                                 kbli_codes=["45405"], dx=0.012),
    }


@pytest.mark.parametrize("query, expected", [
    ("kripik", "keripik"),        # e pepet dropped in the common spelling
    ("keripik pisang", "keripik"),
    ("bakzo", "bakso"),           # one-letter typo
    ("baksoo", "bakso"),          # doubled letter
    ("soesoe", "susu"),           # pre-1972 spelling oe -> u
    ("tjendol", "susu"),          # tj -> c (cendol is in its products)
    ("BENGKEL", "bengkel"),
    ("béngkel mótor", "bengkel"),  # accents ignored (unaccent)
])
def test_text_search_tolerates_typos_and_indonesian_spelling_variants(shops, query, expected):
    found = names(search(q=query))
    assert found and found[0] == shops[expected].name


def test_text_search_does_not_match_unrelated_words(shops):
    assert search(q="sepatu") == []


def test_exact_words_rank_before_spelling_variants_whatever_the_id(make_business):
    lempuk = make_business(name="Oleh-oleh Bu Yati", products="lempuk durian", kbli_codes=["10794"])
    lempok = make_business(name="Pondok Durian", products="lempok durian", kbli_codes=["10794"], dx=0.001)
    assert lempuk.pk < lempok.pk
    # Both spellings are in use (word similarity 0.57).
    assert names(search(q="lempok")) == [lempok.name, lempuk.name]
    assert names(search(q="lempuk")) == [lempuk.name, lempok.name]


def test_multi_word_query_ranks_all_words_before_some_words(make_business):
    soy = make_business(name="Tempe Bu Sri", products="tempe kedelai", kbli_codes=["10794"])
    both = make_business(name="Susu Kedelai Murni", products="susu kedelai", kbli_codes=["11040"], dx=0.001)
    assert names(search(q="soesoe kedelai")) == [both.name, soy.name]
    both.delete()
    # Nobody sells both: the businesses with one of the words still come.
    assert names(search(q="soesoe kedelai")) == [soy.name]


def test_new_and_edited_businesses_are_found_by_their_new_words(shops):
    assert search(q="tempoyak") == []
    assert not SearchWord.objects.filter(word="tempoyak").exists()
    Business.objects.filter(pk=shops["susu"].pk).update(products="tempoyak, lempok durian")
    assert SearchWord.objects.filter(word="tempoyak").exists()
    assert names(search(q="tempoyak")) == [shops["susu"].name]
    assert names(search(q="tempojak")) == [shops["susu"].name]  # typo


@pytest.mark.parametrize("query", ["kripik", "bakso", "kue lapis", "soesoe kedelai", "motor keripik", "mie"])
def test_pages_concatenate_to_the_single_queryset_order(make_business, monkeypatch, query):
    products = ["keripik pisang", "bakso urat, mie ayam", "baso sapi", "kue lapis", "roti, kue basah",
                "servis motor", "susu kedelai", "tempe kedelai", "keripik tempe", "mie goreng"]
    for i in range(30):
        make_business(name=f"Usaha {i:02d}", products=products[i % len(products)], dx=0.0003 * i)
    expected = [b.pk for b in selectors.businesses_search(q=query)]
    assert expected
    for window in (2, 7, selectors.WINDOW):
        # The first-page window is a shortcut: any window gives the same page.
        monkeypatch.setattr(selectors, "WINDOW", window)
        monkeypatch.setattr(selectors, "_window_bound", (0.0, None))
        for limit in (1, 4, 9):
            pages = []
            for offset in range(0, len(expected) + limit, limit):
                page = selectors.businesses_search_page(limit=limit, offset=offset, q=query)
                assert [b.pk for b in page] == expected[offset:offset + limit + 1]
                pages += [b.pk for b in page[:limit]]
            assert pages == expected


def test_near_page_orders_businesses_at_the_same_point_by_name(make_business, sungai_raya_point):
    # Ten businesses at one point (as home-based ones at their desa point),
    # created in reverse name order, and two nearer ones.
    for i in reversed(range(10)):
        make_business(name=f"Usaha {i}", products="sembako", dx=0.002)
    near_ones = [make_business(name=f"Dekat {i}", products="sembako", dx=0.0005 * (i + 1)) for i in range(2)]
    expected = [b.name for b in near_ones] + [f"Usaha {i}" for i in range(10)]
    for limit in (1, 3, 5):
        pages = []
        for offset in range(0, 12, limit):
            page = selectors.businesses_search_page(limit=limit, offset=offset, near=sungai_raya_point,
                                                    radius_m=1000)
            assert names(page) == expected[offset:offset + limit + 1]
            pages += names(page[:limit])
        assert pages == expected


def test_text_search_page_is_two_queries(shops, django_assert_num_queries):
    # Expanding the query on the word dictionary, then the page with its
    # certificates and photos.
    with django_assert_num_queries(2):
        rows = search(q="kripik")
    assert names(rows) == [shops["keripik"].name]


def test_filter_by_sector(shops):
    assert set(names(search(sector="kuliner"))) == {shops["bakso"].name}
    assert set(names(search(sector="pangan_olahan"))) == {shops["keripik"].name, shops["susu"].name}


def test_near_orders_by_distance_and_respects_radius(shops, sungai_raya_point):
    rows = search(near=sungai_raya_point, radius_m=1000)
    assert names(rows) == [shops["keripik"].name, shops["bakso"].name, shops["susu"].name]
    distances = [b.distance_m.m for b in rows]
    assert distances == sorted(distances)
    # 0.001 degrees of longitude at the equator is about 111 m.
    assert 105 < distances[0] < 117
    # Bengkel is ~1,335 m away: outside a 1 km radius, inside 1.5 km.
    assert shops["bengkel"].name in names(search(near=sungai_raya_point, radius_m=1500))


def test_bbox_filters_on_the_public_point(shops, sungai_raya_point):
    lon, lat = sungai_raya_point
    rows = search(bbox=(lon + 0.003, lat - 0.001, lon + 0.009, lat + 0.001))
    assert set(names(rows)) == {shops["bakso"].name, shops["susu"].name}


def test_certificate_filter_counts_only_verified_unexpired(shops, verifier):
    today = datetime.date.today()
    services.certificate_add(business=shops["keripik"], actor=verifier, kind="pirt", number="206611201012345")
    assert search(certificate="pirt") == []  # pending
    Certificate.objects.update(verification_status=Verification.VERIFIED)
    assert names(search(certificate="pirt")) == [shops["keripik"].name]
    Certificate.objects.update(expires_on=today - datetime.timedelta(days=1))
    assert search(certificate="pirt") == []


def test_filter_by_desa_and_kecamatan(shops):
    in_sungai_raya = {b.name for b in shops.values() if b.desa.code == SUNGAI_RAYA}
    assert shops["keripik"].name in in_sungai_raya
    assert set(names(search(desa_code=SUNGAI_RAYA))) == in_sungai_raya
    # The bengkel, 1.3 km east, lies in the neighbouring desa of the same kecamatan.
    assert len(in_sungai_raya) < 4 and len(search(kecamatan_code="61.12.01")) == 4
    assert search(kecamatan_code="61.12.05") == []  # Batu Ampar


def test_closed_and_rejected_businesses_are_not_public(shops, verifier):
    Business.objects.filter(pk=shops["bakso"].pk).update(status=Business.Status.CLOSED)
    services.business_verify(business=shops["bengkel"], actor=verifier, decision="rejected")
    assert set(names(search())) == {shops["keripik"].name, shops["susu"].name}


def test_home_based_without_consent_is_searched_at_its_desa_point(home_business, sungai_raya_point):
    exact = Point(sungai_raya_point[0] + 0.003, sungai_raya_point[1])
    # 50 m around the exact home: nothing; the business sits ~330 m away at the desa point.
    assert search(near=(exact.x, exact.y), radius_m=50) == []
    rows = search(near=sungai_raya_point, radius_m=50)
    assert names(rows) == [home_business.name] and rows[0].distance_m.m < 1


def test_statistics_by_sector_scale_and_certificate_coverage(shops, home_business, verifier):
    counts = selectors.business_counts(group_by="desa")
    assert sum(r["count"] for r in counts) == 5
    assert {r["area_code"] for r in counts} == {b.desa.code for b in [*shops.values(), home_business]}
    coverage = selectors.certificate_coverage(group_by="kecamatan")
    # food: keripik, bakso, susu, home keripik; none certified yet.
    assert coverage == [{"area_code": "61.12.01", "area_name": "Sungai Raya", "food": 4, "with_halal": 0,
                         "with_pirt": 0, "without_halal_or_pirt": 4}]
    services.certificate_add(business=home_business, actor=verifier, kind="halal", number="ID61110000123",
                             halal_route="self_declare")
    Certificate.objects.update(verification_status=Verification.VERIFIED)
    coverage = selectors.certificate_coverage(group_by="kecamatan")[0]
    assert (coverage["with_halal"], coverage["without_halal_or_pirt"]) == (1, 3)
    months = selectors.business_new_per_month()
    assert sum(m["count"] for m in months) == 5


def test_a_business_is_public_only_once_verified(make_business, verifier):
    """Issue 16: a business created by any signed-in user appeared at once in
    OGC, exports, search and tiles. Pending: nowhere; verified: listed."""
    from businesses.policy import business_counts_public, businesses_public

    pending = make_business(name="Warung Belum Diverifikasi", verified=False)
    assert not businesses_public().filter(pk=pending.pk).exists()
    assert sum(r["count"] for r in business_counts_public(group_by="kecamatan")) == 0
    services.business_verify(business=pending, actor=verifier, decision="verified")
    assert businesses_public().filter(pk=pending.pk).exists()
    assert business_counts_public(group_by="kecamatan") == [
        {"code": pending.kecamatan.code, "label": pending.kecamatan.name, "count": 1}]
    assert business_counts_public(group_by="sector")[0]["count"] == 1
    unlisted = make_business(name="Warung Tanpa Izin Tampil", listed=False)
    assert not businesses_public().filter(pk=unlisted.pk).exists()
    assert sum(r["count"] for r in business_counts_public(group_by="desa")) == 1


def test_search_dictionary_holds_only_words_of_public_businesses(make_business, verifier):
    """Typos are resolved against SearchWord before businesses are matched:
    a word known only from a non-public business must not be in it, or the
    expansion and ranking of a query would tell that such a business exists."""
    from businesses import services
    from businesses.models import SearchWord

    pending = make_business(name="Zulkarnainkripik Rahasia", verified=False)
    unlisted = make_business(name="Qoriahbakery Tertutup", listed=False)
    assert not SearchWord.objects.filter(word__in=["zulkarnainkripik", "qoriahbakery"]).exists()
    services.business_verify(business=pending, actor=verifier, decision="verified")
    assert SearchWord.objects.filter(word="zulkarnainkripik").exists()
    services.consent_record(business=unlisted, actor=verifier, kind="listing", granted=True, channel="phone")
    assert SearchWord.objects.filter(word="qoriahbakery").exists()
