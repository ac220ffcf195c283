"""Nothing restricted leaves through any public endpoint of issue 5: OGC API
(JSON and HTML, pages and items), exports (GeoJSON, CSV, GeoPackage), the
catalogue, the metadata and the open-data page."""
import datetime
import json
import re
import struct
import uuid

import pytest
from django.contrib.gis.geos import Point

from geo.selectors import desa_centroids, point_locate
from layers.registry import layers_public

pytestmark = pytest.mark.django_db


SECRET_TEXT = "Zebra-Rahasia-4471 pasien demam berdarah di rumah Pak Fulan"


def _public_bodies(client) -> dict[str, bytes]:
    """Every public response of this issue, by URL."""
    bodies = {}

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies[url] = (b"".join(response.streaming_content) if response.streaming else response.content)
        return bodies[url]

    for url in ("/ogc/", "/ogc/collections", "/ogc/collections?f=html", "/api/v1/layers/", "/data/"):
        get(url)
    for layer in layers_public():
        base = f"/ogc/collections/{layer.id}"
        get(base)
        page = json.loads(get(f"{base}/items?limit=10000"))
        get(f"{base}/items?limit=10000&f=html")
        for feature in page["features"][:50]:
            get(f"{base}/items/{feature['id']}")
        for fmt in ("geojson", "csv", "gpkg"):
            get(f"/api/v1/layers/{layer.id}/download.{fmt}")
        get(f"/api/v1/layers/{layer.id}/")
    return bodies


def _assert_absent(bodies: dict[str, bytes], *needles):
    for url, body in bodies.items():
        for needle in needles:
            if isinstance(needle, re.Pattern):
                assert not needle.search(body), (url, needle.pattern)
            else:
                assert needle not in body, (url, needle)


def _coordinate_needles(lon: float, lat: float) -> list:
    """The point as text (lon then lat, to ~10 m, in any separator: GeoJSON,
    CSV, WKT, HTML) and as the raw doubles of WKB (GeoPackage)."""
    def prefix(value):
        return re.escape(f"{value:.4f}"[:-1].encode())  # truncated: rounding-proof to ~100 m

    text = re.compile(prefix(lon) + rb"\d*[,\s]+" + prefix(lat))
    return [text, struct.pack("<dd", lon, lat)]


@pytest.fixture
def spots(desa_shapes):
    """A secret point inside one desa and an ordinary one in another (lon, lat)."""
    codes = sorted(desa_shapes)
    secret = desa_shapes[codes[7]][1].representative_point()
    other = desa_shapes[codes[30]][1].representative_point()
    return {"secret": (round(secret.x, 7), round(secret.y, 7)), "other": (round(other.x, 7), round(other.y, 7))}


# --- Reports ------------------------------------------------------------------

def _report_make(*, category, lon, lat, description, confidential=False, status="received", created_at=None,
                 subject_name=None):
    from reports.models import Report, ReportSubject

    location = point_locate(lon=lon, lat=lat, with_service_areas=False)
    created_at = created_at or datetime.datetime(2026, 3, 10, 2, tzinfo=datetime.timezone.utc)
    report = Report.objects.create(
        id=uuid.uuid4(), tracking_code=f"KR-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}",
        category=category, status=status, location=Point(lon, lat, srid=4326), accuracy_m=5,
        desa=location.desa, kecamatan=location.kecamatan, agency=None, created_at=created_at,
        updated_at=created_at, deadline=created_at.date() + datetime.timedelta(days=14),
        confidential=confidential, anonymous=False, description=description)
    if subject_name:
        ReportSubject.objects.create(report=report, name=subject_name, age=7, condition=description)
    return report


@pytest.fixture
def categories(kubu_raya):
    from reports.models import Category

    def make(code, cls, level):
        category, _ = Category.objects.update_or_create(
            code=code, version=1, defaults={"name_id": code, "name_en": code, "publication_class": cls,
                                            "aggregate_level": level, "target_days": 5})
        return category

    return {"road": make("uji-jalan-rusak", "P0", "desa"), "sick": make("uji-warga-sakit", "P3", "desa"),
            "violence": make("uji-kekerasan", "P3", "kecamatan"), "registry": make("uji-adminduk", "P2", "none")}


def test_confidential_and_restricted_reports_never_leave(client, categories, spots):
    SECRET_LON, SECRET_LAT = spots["secret"]
    lon, lat = spots["other"]
    # Public P0 reports elsewhere, so that the layers are not empty.
    for i in range(6):
        _report_make(category=categories["road"], lon=lon + i * 0.0001, lat=lat, description=f"Jalan {i}")
    # A confidential P0 report and P3 / P2 reports (with the reported
    # person's data) at the secret point.
    _report_make(category=categories["road"], lon=SECRET_LON, lat=SECRET_LAT, description=SECRET_TEXT,
                 confidential=True)
    for kind in ("sick", "violence", "registry"):
        _report_make(category=categories[kind], lon=SECRET_LON, lat=SECRET_LAT, description=SECRET_TEXT,
                     subject_name="Fulan Zebra bin Rahasia")
    bodies = _public_bodies(client)
    _assert_absent(bodies, SECRET_TEXT.encode(), b"Zebra", *_coordinate_needles(SECRET_LON, SECRET_LAT))
    page = json.loads(bodies["/ogc/collections/reports/items?limit=10000"])
    assert len(page["features"]) == 6
    assert all("description" not in f["properties"] for f in page["features"])
    # The secret desa's cells (road: the confidential one is not counted at
    # all; sick 1) and kecamatan cell (violence 1) all round to 0; violence is
    # never counted per desa; P2 never counted.
    secret = point_locate(lon=SECRET_LON, lat=SECRET_LAT, with_service_areas=False)
    counts = [f["properties"] for f in
              json.loads(bodies["/ogc/collections/report-counts/items?limit=10000"])["features"]]
    cells = [c for c in counts if c["area_code"] in (secret.desa.code, secret.kecamatan.code)
             and c["category_code"].startswith("uji-") and c["period"] == "2026-03"]
    assert {(c["level"], c["category_code"]) for c in cells} == {
        ("desa", "uji-jalan-rusak"), ("desa", "uji-warga-sakit"), ("kecamatan", "uji-kekerasan")}
    assert all(c["count_display"] == "0" and c["count"] == 0 for c in cells)
    assert not [c for c in counts if c["category_code"] == "uji-adminduk"]


def test_report_counts_publish_only_fixed_cells(client, categories, spots, settings):
    lon, lat = spots["other"]
    for i in range(7):
        _report_make(category=categories["sick"], lon=lon + i * 0.0001, lat=lat, description="x")
    doc = json.loads(client.get("/ogc/collections/report-counts/items?limit=10000&category_code=uji-warga-sakit")
                     .content)
    shown = [f["properties"] for f in doc["features"] if f["properties"]["count"]]
    assert [c["count"] for c in shown] == [5]  # 7, rounded to the nearest 5 (issue 16)
    # Every desa has its cell for every month (zeros are published too).
    assert len(doc["features"]) % 123 == 0 and {f["properties"]["level"] for f in doc["features"]} == {"desa"}
    # A change (the reports app's signal) makes the next read recount.
    from reports.signals import report_changed

    settings.LAYERS_REPORT_COUNTS_MIN_INTERVAL_S = 0
    report = _report_make(category=categories["sick"], lon=lon, lat=lat, description="x")
    report_changed.send(sender=None, report_id=report.id, old_location=None, new_location=report.location)
    doc = json.loads(client.get("/ogc/collections/report-counts/items?limit=10000&category_code=uji-warga-sakit")
                     .content)
    assert [f["properties"]["count"] for f in doc["features"] if f["properties"]["count"]] == [10]  # 8
    # No arbitrary time window or bbox recount: datetime is not accepted and
    # a bbox selects whole desa cells.
    assert client.get("/ogc/collections/report-counts/items?datetime=2026-03-01/2026-03-31").status_code == 400


# --- Businesses ---------------------------------------------------------------

def test_home_based_business_without_consent_only_at_desa_point(client, kubu_raya, spots):
    from businesses.services import business_create

    SECRET_LON, SECRET_LAT = spots["secret"]
    lon, lat = spots["other"]
    from businesses.models import Business

    home = business_create(name="Kue Basah Bu Zebra", lon=SECRET_LON, lat=SECRET_LAT, is_home_based=True,
                           nib="9120001234567")
    shop = business_create(name="Toko Terbuka", lon=lon, lat=lat, is_home_based=True,
                           exact_location_consent=("form", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)))
    Business.objects.filter(pk__in=[home.pk, shop.pk]).update(verification_status="verified", listing_public=True)  # public once verified and listed
    bodies = _public_bodies(client)
    _assert_absent(bodies, *_coordinate_needles(SECRET_LON, SECRET_LAT), b"9120001234567")
    page = json.loads(bodies["/ogc/collections/businesses/items?limit=10000"])
    by_id = {f["id"]: f for f in page["features"]}
    desa_point = {code: (lon, lat) for code, lon, lat in desa_centroids()}[home.desa.code]
    assert by_id[home.pk]["geometry"]["coordinates"] == pytest.approx(list(desa_point), abs=1e-6)
    assert by_id[home.pk]["properties"]["location_precision"] == "desa"
    assert by_id[home.pk]["properties"]["nib"] is None
    assert by_id[shop.pk]["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert by_id[shop.pk]["properties"]["location_precision"] == "exact"


# --- Always on: the catalogue publishes metadata, never restricted fields ----

def test_public_layers_publish_no_personal_field_names(kubu_raya):
    forbidden = {"nik", "name_reporter", "reporter", "phone", "email", "description", "subject_name",
                 "subject_age", "subject_condition", "home_address", "capital_idr", "annual_sales_idr",
                 "owner", "accuracy_m"}
    for layer in layers_public():
        assert not forbidden & set(layer.fields), layer.id


def test_every_public_endpoint_answers(client, kubu_raya):
    bodies = _public_bodies(client)
    assert len(bodies) > 20
    assert b"Data terbuka Kabupaten Kubu Raya" in bodies["/data/"]
