"""Server-side tests of the portal's pages (Django test client, real PostGIS
with the Kubu Raya boundaries)."""
import json
import re

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Role
from geo.models import Agency
from portal import charts, selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/peta/", "/lapor/", "/lacak/", "/dasbor/", "/dasbor/cetak/"])
def test_public_pages_render_in_bahasa_indonesia_by_default(client, kubu_raya, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert 'href="/informasi/"' in html
    assert 'name="viewport"' in html


def test_english_is_chosen_through_setlang(client, kubu_raya):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/lapor/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Send report" in html and "Kirim laporan" not in html


def test_report_form_fields_all_have_labels(client, kubu_raya):
    html = client.get("/lapor/").content.decode()
    # the "Anonim" box is for signed-in residents: a visitor is anonymous anyway
    assert 'id="anonymous"' not in html and 'id="anonymous-note"' in html
    for field_id in ("category", "lat", "lon", "description", "photo", "confidential", "place-q"):
        assert re.search(rf'<input[^>]*id="{field_id}"|<select[^>]*id="{field_id}"|<textarea[^>]*id="{field_id}"',
                         html), field_id
        assert (f'for="{field_id}"' in html) or re.search(rf'<label><input[^>]*id="{field_id}"', html), field_id


def test_map_page_ships_no_features_only_configuration(client, kubu_raya):
    response = client.get("/peta/")
    config = json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)</script>',
                                  response.content.decode(), re.S).group(1))
    assert config["tiles"]["reports"] == "/tiles/reports/{z}/{x}/{y}.mvt"
    assert config["basemap"]["url"].startswith("https://tile.openstreetmap.org/")
    assert len(response.content) < 20_000


def test_basemap_url_comes_from_the_setting(client, kubu_raya, settings):
    settings.PORTAL_BASEMAP_URL = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    assert "https://tiles.example.invalid/{z}/{x}/{y}.png" in client.get("/peta/").content.decode()


def test_desa_boundaries_are_117_polygons_with_label_points_inside_kubu_raya(client, kubu_raya):
    response = client.get("/peta/wilayah/desa.geojson")
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/geo+json"
    assert len(data["features"]) == 117
    for feature in data["features"]:
        lon, lat = feature["properties"]["label"]
        assert 108.8 < lon < 110.0 and -1.2 < lat < 0.4, feature["properties"]["name"]
    again = client.get("/peta/wilayah/desa.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_desa_outlines_for_the_report_form_are_the_same_lines_as_encoded_polylines(client, kubu_raya):
    """/lapor/'s outlines (issue 19): each desa's rings as encoded polylines at 4
    decimals, decoded here by PostGIS and compared with the GeoJSON's rings."""
    from django.db import connection

    response = client.get("/peta/wilayah/desa.garis.json")
    data = json.loads(response.content)
    assert data["precision"] == 4 and len(data["areas"]) == 117
    geojson = {f["properties"]["code"]: f for f in json.loads(client.get("/peta/wilayah/desa.geojson").content)["features"]}
    for code, name, (lon, lat), rings in data["areas"]:
        assert name == geojson[code]["properties"]["name"] and 108.8 < lon < 110.0 and -1.2 < lat < 0.4
        assert rings
    code, _name, _label, rings = data["areas"][0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(ST_HausdorffDistance(ST_LineFromEncodedPolyline(r, 4),"
                       " ST_ExteriorRing(ST_GeometryN(ST_GeomFromGeoJSON(%s), 1)))) FROM unnest(%s::text[]) AS r",
                       [json.dumps(geojson[code]["geometry"]), rings[:1]])
        assert cursor.fetchone()[0] < 0.0002
    again = client.get("/peta/wilayah/desa.garis.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get("/peta/wilayah/rt.garis.json").status_code == 404

    # The coarse lines /lapor/ draws first: every desa, 3 decimals, no names,
    # within 0.003 deg of the precise lines (under a pixel at the form's zoom 9),
    # a third of the bytes; its own ETag.
    coarse_response = client.get("/peta/wilayah/desa.garis.json?kasar=1")
    coarse = json.loads(coarse_response.content)
    assert coarse["precision"] == 3 and [a[0] for a in coarse["areas"]] == [a[0] for a in data["areas"]]
    assert all(a[1] is None and a[2] is None and a[3] for a in coarse["areas"])
    assert len(coarse_response.content) < len(response.content) / 2
    assert coarse_response["ETag"] != response["ETag"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(ST_HausdorffDistance(ST_LineFromEncodedPolyline(c, 3), ST_LineFromEncodedPolyline(p, 4)))"
                       " FROM unnest(%s::text[], %s::text[]) AS r(c, p)", [coarse["areas"][0][3], rings])
        assert cursor.fetchone()[0] < 0.003
    assert client.get("/peta/wilayah/desa.garis.json?kasar=1",
                      HTTP_IF_NONE_MATCH=coarse_response["ETag"]).status_code == 304


def test_unknown_boundary_level_is_404(client, kubu_raya):
    assert client.get("/peta/wilayah/rt.geojson").status_code == 404


def test_search_treats_percent_and_underscore_literally(client, kubu_raya):
    assert client.get("/peta/cari", {"q": "%%"}).json()["results"] == []
    assert client.get("/peta/cari", {"q": "__"}).json()["results"] == []
    names = [r["name"] for r in client.get("/peta/cari", {"q": "kuala dua"}).json()["results"]]
    assert "Kuala Dua" in names


def test_unknown_tracking_code_is_404_and_says_so(client, kubu_raya):
    response = client.get("/lacak/KR-NOPE-00/")
    assert response.status_code == 404
    assert "Kode lacak tidak ditemukan" in response.content.decode()


def test_workspace_requires_login(client, kubu_raya):
    response = client.get("/kerja/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/?next=/kerja/")


def test_workspace_sends_a_resident_to_their_own_page(client, kubu_raya):
    user = get_user_model().objects.create_user("warga", password="x" * 12)
    Membership.objects.create(user=user, role=Role.RESIDENT)
    client.force_login(user)
    response = client.get("/kerja/")
    assert response.status_code == 302 and not response["Location"].startswith("/kerja")


def test_workspace_opens_for_agency_staff(client, kubu_raya):
    user = get_user_model().objects.create_user("pupr", password="x" * 12)
    Membership.objects.create(user=user, role=Role.AGENCY_STAFF, agency=Agency.objects.first())
    client.force_login(user)
    response = client.get("/kerja/")
    assert response.status_code == 200
    assert 'id="queue"' in response.content.decode()


def test_bar_chart_draws_a_suppressed_count_as_hatched_stub_never_a_number():
    svg = charts.hbar(rows=[("Diterima", 12), ("Ditolak", "<5")], title="x")
    hatch = re.search(r'<pattern id="([^"]+)"', svg).group(1)
    assert "&lt;5" in svg and f'fill="url(#{hatch})"' in svg
    assert re.findall(r">(\d+)</text>", svg) == ["12"]


def test_choropleth_of_an_area_without_figure_shows_it_suppressed(kubu_raya):
    shapes = selectors._area_shapes("kecamatan")
    assert len(shapes) == 9
    svg = charts.choropleth(shapes=shapes, values={shapes[0]["code"]: 30}, title="t")
    assert svg.count("<path") == 9
    hatch = re.search(r'<pattern id="([^"]+)"', svg).group(1)
    assert svg.count(f'fill="url(#{hatch})"') == 8


def test_dashboard_lists_the_public_information_link_and_print_version(client, kubu_raya):
    html = client.get("/dasbor/").content.decode()
    assert 'href="/dasbor/cetak/"' in html and "Daftar Informasi Publik (DIP)" in html


def test_agency_staff_sign_in_on_the_portal_and_land_in_their_queue(client, kubu_raya):
    user = get_user_model().objects.create_user("pupr2", password="rahasia-sekali-123")
    Membership.objects.create(user=user, role=Role.AGENCY_STAFF, agency=Agency.objects.first())
    assert not user.is_staff  # the admin's sign-in would refuse this account
    wrong = client.post("/masuk/?next=/kerja/", {"username": "pupr2", "password": "salah-sandi-123"})
    assert wrong.status_code == 200 and 'role="alert"' in wrong.content.decode()
    assert client.get("/kerja/").status_code == 302
    right = client.post("/masuk/", {"username": "pupr2", "password": "rahasia-sekali-123", "next": "/kerja/"})
    assert right.status_code == 302 and right["Location"] == "/kerja/"
    assert 'id="queue"' in client.get("/kerja/").content.decode()
