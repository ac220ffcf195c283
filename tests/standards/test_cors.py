"""Issue 18, item 2: every public GET of the machine interfaces carries
Access-Control-Allow-Origin (successes and errors alike), preflight OPTIONS
answers, and credentials are never allowed cross-origin. (The browser test
test_maplibre_other_origin.py checks the same with Chromium.)"""
import pytest

pytestmark = pytest.mark.django_db

ORIGIN = "http://peta.example.org:8080"

PUBLIC_GETS = [
    "/ogc/", "/ogc/collections", "/ogc/collections/desa/items?limit=2", "/ogc/collections/nope",
    "/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests/nope.json",
    "/api/v1/layers/", "/api/v1/layers/kecamatan/download.geojson", "/api/v1/layers/kecamatan/download.csv",
    "/api/v1/areas/?level=kecamatan", "/api/v1/categories/", "/api/v1/rasters/",
    "/tiles/desa.json", "/tiles/desa/99/0/0.mvt", "/tiles/nope/1/1/1.mvt", "/api/nope",
]


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_public_get_allows_any_origin_without_credentials(client, taxonomy, path):
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response.status_code < 500
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("path", ["/ogc/collections/desa/items", "/open311/v2/requests.json",
                                  "/tiles/desa.json", "/api/v1/layers/"])
def test_preflight_options_answers(client, path):
    response = client.options(path, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept, content-type")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response


def test_portal_pages_are_not_cross_origin(client):
    assert "Access-Control-Allow-Origin" not in client.get("/", HTTP_ORIGIN=ORIGIN)
