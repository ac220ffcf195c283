"""Issue 18, item 6: QGIS/GDAL and OWSLib against a live server. GDAL's
OAPIF driver lists the collections, filters by name (it sends `name=` by
itself) and by bbox, fetches one feature by id, and copies every collection
to GeoPackage with the right counts and field types; /vsicurl/ opens the
GeoJSON and CSV exports (HEAD + Range); OWSLib reads OGC API - Features."""
import json
import shutil
import subprocess
import urllib.request

import pytest

pytestmark = [pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (scripts/sysdeps.sh) missing"),
              pytest.mark.django_db(transaction=True)]

GDAL_ENV = {"GDAL_HTTP_TIMEOUT": "60", "CPL_VSIL_CURL_CHUNK_SIZE": "16384", "GDAL_DISABLE_READDIR_ON_OPEN": "YES"}


def _run(*args, timeout=300):
    import os
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env={**os.environ, **GDAL_ENV})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _get(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture
def server(live_server, kubu_raya, taxonomy, submit):
    assert submit(category="road-damage").status_code == 201
    assert submit(category="flood", photo=None).status_code == 201
    return live_server.url


def test_gdal_summary_types_and_feature_count_from_the_server(server):
    url = f"OAPIF:{server}/ogc/"
    desa = _run("ogrinfo", "-ro", "-so", url, "desa")
    assert "Feature Count: 123" in desa
    assert "population: Integer" in desa and "area_km2: Real" in desa
    counts = _run("ogrinfo", "-ro", "-so", url, "report-counts", timeout=120)
    assert "count: Integer" in counts and "Feature Count: " in counts
    doc = _get(f"{server}/ogc/collections/report-counts/items?limit=1")
    assert f"Feature Count: {doc['numberMatched']}" in counts
    for layer in ("reports", "businesses"):
        first = _get(f"{server}/ogc/collections/{layer}/items?limit=1")
        assert "numberMatched" in first, layer
    assert _get(f"{server}/ogc/collections/reports/items?limit=1")["numberMatched"] == 2


def test_gdal_filters_by_name_and_bbox_and_fetches_by_id(server):
    url = f"OAPIF:{server}/ogc/"
    by_name = _run("ogrinfo", "-ro", "-q", url, "kecamatan", "-where", "name = 'Sungai Raya'")
    assert by_name.count("OGRFeature(kecamatan)") == 1 and "Sungai Raya" in by_name
    for layer in ("desa", "service-areas", "businesses"):
        _run("ogrinfo", "-ro", "-q", "-so", url, layer, "-where", "name = 'x'")
    bbox = _run("ogrinfo", "-ro", "-so", url, "desa", "-spat", "109.30", "-0.10", "109.40", "0.0")
    count = int(bbox.split("Feature Count: ")[1].split()[0])
    assert 0 < count < 123
    service_area = _get(f"{server}/ogc/collections/service-areas/items?limit=1")["features"][0]
    one = _run("ogrinfo", "-ro", "-q", url, "service-areas", "-fid", str(service_area["id"]))
    assert service_area["properties"]["name"] in one


def test_gdal_copies_every_collection_to_geopackage(server, tmp_path):
    collections = [c["id"] for c in _get(f"{server}/ogc/collections")["collections"]]
    out = tmp_path / "all.gpkg"
    _run("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}/ogc/", *collections, timeout=600)
    for layer in collections:
        expected = _get(f"{server}/ogc/collections/{layer}/items?limit=1").get("numberMatched")
        summary = _run("ogrinfo", "-ro", "-so", str(out), layer)
        if expected is not None:
            assert f"Feature Count: {expected}" in summary, layer
    assert "population: Integer" in _run("ogrinfo", "-ro", "-so", str(out), "kecamatan")
    assert "count: Integer" in _run("ogrinfo", "-ro", "-so", str(out), "report-counts")


@pytest.mark.parametrize("fmt,driver", [("geojson", "GeoJSON"), ("csv", "CSV")])
def test_vsicurl_opens_the_exports(server, fmt, driver):
    url = f"{server}/api/v1/layers/kecamatan/download.{fmt}"
    head = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60)
    size = int(head.headers["Content-Length"])
    assert size > 0 and head.headers["Accept-Ranges"] == "bytes"
    part = urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-19"}), timeout=60)
    assert part.status == 206 and part.headers["Content-Range"] == f"bytes 10-19/{size}" and len(part.read()) == 10
    info = _run("ogrinfo", "-ro", "-so", "-al", f"/vsicurl/{url}")
    assert "Feature Count: 9" in info and driver in _run("ogrinfo", "-ro", f"/vsicurl/{url}")


def test_owslib_reads_ogc_api_features(server):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc/")
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"desa", "kecamatan", "service-areas", "reports", "report-counts"} <= set(ids)
    assert api.conformance()["conformsTo"]
    page = api.collection_items("kecamatan", limit=20)
    assert page["numberMatched"] == 9 and len(page["features"]) == 9
    named = api.collection_items("kecamatan", name="Sungai Raya")
    assert [f["properties"]["name"] for f in named["features"]] == ["Sungai Raya"]
    queryables = api.collection_queryables("desa")
    assert queryables["properties"]["population"]["type"] == "integer"
    one = api.collection_item("kecamatan", "61.12.01")
    assert one["id"] == "61.12.01"
