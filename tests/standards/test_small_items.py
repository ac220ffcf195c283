"""Issue 18, item 7: the smaller interoperability items."""
import json

import pytest

from tiles.services import accepts_gzip

pytestmark = pytest.mark.django_db

TILE = "/tiles/desa/9/411/256.mvt"  # Kubu Raya (109.4 E, 0.2 S) at z9


@pytest.mark.parametrize("header,expected", [
    ("gzip", True), ("gzip, deflate, br", True), ("gzip;q=0", False), ("gzip; q=0.0", False),
    ("deflate, gzip;q=0.5", True), ("*", True), ("*;q=0", False), ("gzip;q=0, *", False), ("", False),
    ("identity", False), ("x-gzip", True)])
def test_accept_encoding_q_values(header, expected):
    assert accepts_gzip(header) is expected


def test_gzip_q0_gets_a_plain_tile(client, kubu_raya):
    response = client.get(TILE, HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert response.status_code == 200 and response.content
    assert "Content-Encoding" not in response
    assert client.get(TILE, HTTP_ACCEPT_ENCODING="gzip").get("Content-Encoding") == "gzip"


def test_head_on_tiles_and_tilejson(client, kubu_raya):
    for path in (TILE, "/tiles/desa.json"):
        response = client.head(path)
        assert response.status_code in (200, 204), path
        assert response["Access-Control-Allow-Origin"] == "*"


def test_tilejson_has_etag_and_cache_control(client, kubu_raya):
    response = client.get("/tiles/desa.json")
    assert response["Cache-Control"] and response["ETag"].startswith('"')
    assert json.loads(response.content)["tilejson"] == "3.0.0"
    again = client.get("/tiles/desa.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]


def test_crs_is_accepted_on_one_item(client, kubu_raya):
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert client.get("/ogc/collections/kecamatan/items/61.12.01", {"crs": crs84}).status_code == 200
    assert client.get("/ogc/collections/kecamatan/items/61.12.01", {"crs": "EPSG:3857"}).status_code == 400


def test_api_document_as_html(client):
    response = client.get("/ogc/api", {"f": "html"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert client.get("/ogc/api")["Content-Type"].startswith("application/vnd.oai.openapi+json")


def test_six_number_and_antimeridian_bbox(client, kubu_raya):
    def matched(bbox):
        response = client.get("/ogc/collections/kecamatan/items", {"bbox": bbox})
        assert response.status_code == 200, response.content
        return json.loads(response.content)["numberMatched"]
    assert matched("109.0,-1.0,-100,110.0,0.5,100") == matched("109.0,-1.0,110.0,0.5") == 9
    # West edge east of the east edge: the box crosses the antimeridian.
    assert matched("109.0,-1.0,-170.0,0.5") == 9
    assert matched("170.0,-1.0,-170.0,0.5") == 0


def test_one_attribution_string_for_the_builtin_layers(client, kubu_raya):
    names = ["desa", "kecamatan", "service-areas", "desa,kecamatan", "reports", "report-counts"]
    attributions = {json.loads(client.get(f"/tiles/{name}.json").content)["attribution"] for name in names
                    if client.get(f"/tiles/{name}.json").status_code == 200}
    assert len(attributions) == 1
    (text,) = attributions
    assert "CC BY 4.0" in text and "MIT" in text and "Cahya DSN" in text


def test_integer_ids_are_mvt_feature_ids_and_tilejson_says_so(client, kubu_raya):
    import mapbox_vector_tile

    fields = json.loads(client.get("/tiles/service-areas.json").content)["vector_layers"][0]["fields"]
    assert "id" not in fields
    assert "id" in json.loads(client.get("/tiles/desa.json").content)["vector_layers"][0]["fields"]
    response = client.get("/tiles/service-areas/9/411/256.mvt", HTTP_ACCEPT_ENCODING="identity")
    assert response.status_code == 200
    features = mapbox_vector_tile.decode(response.content)["service-areas"]["features"]
    ogc_ids = {f["id"] for f in json.loads(
        client.get("/ogc/collections/service-areas/items", {"limit": 1000}).content)["features"]}
    assert features and all(f["id"] in ogc_ids for f in features)
