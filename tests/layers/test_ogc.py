"""OGC API - Features Part 1 at /ogc/: documents validate against the OGC
schemas, paging and filters behave, errors have one shape, GDAL reads it."""
import json
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.django_db

needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (scripts/sysdeps.sh) missing")


def _json(response):
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


def test_landing_page_links_validate(client, kubu_raya, ogc_validate):
    doc = _json(client.get("/ogc/"))
    ogc_validate(doc, "landingPage")
    rels = {link["rel"] for link in doc["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels


def test_conformance_declares_core_geojson_html_oas30(client, ogc_validate):
    doc = _json(client.get("/ogc/conformance"))
    ogc_validate(doc, "confClasses")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in doc["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in doc["conformsTo"]


def test_service_desc_is_openapi_with_every_collection(client):
    response = client.get("/ogc/api")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.0")
    assert "/collections/desa/items" in doc["paths"]
    assert "/collections/{collectionId}/items" in doc["paths"]
    assert client.get("/ogc/api.html").status_code == 200


def test_collections_validate_and_declare_crs84_extent(client, kubu_raya, ogc_validate):
    doc = _json(client.get("/ogc/collections"))
    ogc_validate(doc, "collections")
    ids = [c["id"] for c in doc["collections"]]
    assert ids[:3] == ["desa", "kecamatan", "service-areas"]
    desa = doc["collections"][0]
    minx, miny, maxx, maxy = desa["extent"]["spatial"]["bbox"][0]
    # Kubu Raya straddles the equator around 109.5 E.
    assert 108.9 < minx < maxx < 110.2 and miny < 0 < maxy
    ogc_validate(_json(client.get("/ogc/collections/desa")), "collection")


def test_items_page_validates_and_pages_with_next_links(client, kubu_raya, ogc_validate):
    response = client.get("/ogc/collections/desa/items?limit=50")
    assert response["Content-Type"] == "application/geo+json"
    doc = _json(response)
    ogc_validate(doc, "featureCollectionGeoJSON")
    assert doc["numberReturned"] == 50 and doc["numberMatched"] == 123
    ids = [f["id"] for f in doc["features"]]
    assert ids == sorted(ids)
    seen = list(ids)
    next_url = next(link["href"] for link in doc["links"] if link["rel"] == "next")
    while next_url:
        page = _json(client.get(next_url.replace("http://testserver", "")))
        seen += [f["id"] for f in page["features"]]
        next_url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 123


def test_items_bbox_and_property_filter(client, kubu_raya, desa_shapes):
    code, (_, shape) = sorted(desa_shapes.items())[10]
    p = shape.representative_point()
    doc = _json(client.get(f"/ogc/collections/desa/items?bbox={p.x - 1e-4},{p.y - 1e-4},{p.x + 1e-4},{p.y + 1e-4}"))
    assert code in [f["id"] for f in doc["features"]] and doc["numberMatched"] < 4
    doc = _json(client.get("/ogc/collections/desa/items?kecamatan_code=61.12.01&limit=1000"))
    assert doc["numberMatched"] == doc["numberReturned"] > 5
    assert {f["properties"]["kecamatan_code"] for f in doc["features"]} == {"61.12.01"}


def test_offset_paging_and_keyset_paging_agree(client, kubu_raya):
    by_offset = _json(client.get("/ogc/collections/desa/items?limit=20&offset=40"))
    previous = _json(client.get("/ogc/collections/desa/items?limit=20&offset=20"))
    last = previous["features"][-1]["id"]
    by_key = _json(client.get(f"/ogc/collections/desa/items?limit=20&after={last}"))
    assert [f["id"] for f in by_key["features"]] == [f["id"] for f in by_offset["features"]]
    next_link = next(link["href"] for link in by_offset["links"] if link["rel"] == "next")
    assert "offset=60" in next_link


def test_item_and_html_encodings(client, kubu_raya, ogc_validate):
    doc = _json(client.get("/ogc/collections/desa/items/61.12.01.2001"))
    ogc_validate(doc, "featureGeoJSON")
    assert doc["properties"]["code"] == "61.12.01.2001"
    for url in ("/ogc/?f=html", "/ogc/collections?f=html", "/ogc/collections/desa?f=html",
                "/ogc/collections/desa/items?f=html&limit=5", "/ogc/collections/desa/items/61.12.01.2001?f=html",
                "/ogc/conformance?f=html"):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html"), url
    browser = client.get("/ogc/collections", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("query", [
    "bbox=1,2", "bbox=a,b,c,d", "bbox=109,1,110,0", "bbox=1,2,3,4,5", "limit=0", "limit=x", "offset=-1",
    "nik=1", "f=xml", "population=many", "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857",
    "datetime=2026-01-01", "after=61.12&offset=10", "limit=5&after=" + "x" * 300,
])
def test_bad_items_parameters_get_one_error_shape(client, kubu_raya, ogc_validate, query):
    response = client.get(f"/ogc/collections/desa/items?{query}")
    assert response.status_code == 400, query
    body = json.loads(response.content)
    ogc_validate(body, "exception")
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_unknown_collection_and_feature_are_404(client, kubu_raya):
    assert json.loads(client.get("/ogc/collections/nope").content)["code"] == "NotFound"
    assert client.get("/ogc/collections/desa/items/61.99").status_code == 404
    assert client.get("/ogc/collections/service-areas/items/abc").status_code == 404


def test_limit_above_maximum_is_clamped(client, kubu_raya, settings):
    settings.LAYERS_MAX_ITEMS = 20
    doc = _json(client.get("/ogc/collections/desa/items?limit=100000"))
    assert doc["numberReturned"] == 20


@needs_gdal
@pytest.mark.django_db(transaction=True)
def test_gdal_lists_and_reads_every_collection(live_server, kubu_raya, tmp_path):
    url = f"OAPIF:{live_server.url}/ogc/"
    listing = subprocess.run(["ogrinfo", "-ro", "-q", url], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    from layers.registry import layers_public
    for layer in layers_public():
        assert f": {layer.id} " in listing.stdout or f": {layer.id}\n" in listing.stdout, layer.id
    summary = subprocess.run(["ogrinfo", "-ro", "-so", url, "kecamatan"], capture_output=True, text=True, timeout=120)
    assert "Feature Count: 9" in summary.stdout, summary.stdout + summary.stderr
    out = tmp_path / "desa.gpkg"
    copy = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), url, "desa", "kecamatan"],
                          capture_output=True, text=True, timeout=300)
    assert copy.returncode == 0, copy.stderr
    check = subprocess.run(["ogrinfo", "-ro", "-so", str(out), "desa"], capture_output=True, text=True)
    assert "Feature Count: 123" in check.stdout
    assert "kecamatan_code: String" in check.stdout


def test_datetime_offsets_python_reads_but_postgresql_does_not_are_converted_to_utc():
    # "+18:44" parses in Python; PostgreSQL keeps offsets only within +-15:59.
    from layers.ogc.params import OgcError, datetime_parse
    start, end = datetime_parse("2026-01-01T02:00:00+18:44")
    assert start == end and start.isoformat() == "2025-12-31T07:16:00+00:00"
    with pytest.raises(OgcError):
        datetime_parse("0001-01-01T00:00:00+05:00")


def test_reports_items_take_an_unusual_offset(client, kubu_raya):
    response = client.get("/ogc/collections/reports/items?datetime=2026-01-01T02:00:00%2B18:44/..")
    assert response.status_code == 200, response.content
