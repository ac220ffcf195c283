"""Exports stream with bounded memory, carry the metadata and licence, and
round-trip through GDAL."""
import json
import shutil
import subprocess
import tracemalloc

import pytest
from django.db import connection
from django.http import StreamingHttpResponse

from layers import registry
from layers.registry import INTEGER, STRING, DATETIME, Layer

pytestmark = pytest.mark.django_db
needs_gdal = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (scripts/sysdeps.sh) missing")

ROWS = 6000


@pytest.fixture
def points_layer(db):
    """A 6,000-point layer over a scratch table, registered like a dataset."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE TEMP TABLE layers_test_points AS
            SELECT g AS id, ST_SetSRID(ST_MakePoint(109.3 + (g %% 100) * 0.001, -0.1 + (g / 100) * 0.001), 4326) AS geom,
                   'titik nomor ' || g AS label, g %% 7 AS bucket,
                   timestamptz '2026-01-01 00:00+00' + g * interval '1 hour' AS created_at
              FROM generate_series(1, %s) g""", [ROWS])
    layer = Layer(id="dataset-test-points", title="Titik uji", description="Uji ekspor", geometry_type="Point",
                  geometry_treatment="exact", kip_class="berkala", legal_basis="UU 14/2008 Pasal 9",
                  producer="Diskominfo", licence="CC BY 4.0", update_frequency="harian",
                  base_sql=lambda: ("SELECT id, geom, label, bucket, created_at FROM layers_test_points", []),
                  field_types={"label": STRING, "bucket": INTEGER, "created_at": DATETIME},
                  datetime_field="created_at", id_type=INTEGER)

    small = Layer(**{**layer.__dict__, "id": "dataset-test-points-small", "base_sql": lambda: (
        "SELECT id, geom, label, bucket, created_at FROM layers_test_points WHERE id <= %s", [ROWS // 4])})

    def provider():
        return [layer, small]

    registry.register_provider(provider)
    yield layer
    registry._providers.remove(provider)


def _consume_with_peak(response) -> tuple[bytes, int, int]:
    """(body head, total bytes, peak traced memory) while consuming a stream."""
    tracemalloc.start()
    total, head = 0, b""
    for chunk in response.streaming_content:
        total += len(chunk)
        if len(head) < 2000:
            head += chunk[:2000]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return head, total, peak


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_export_streams_with_bounded_memory(client, points_layer, settings, fmt):
    settings.LAYERS_EXPORT_BATCH_SIZE = 100
    response = client.get(f"/api/v1/layers/dataset-test-points/download.{fmt}")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert 'rel="license"' in response["Link"] and 'rel="describedby"' in response["Link"]
    _consume_with_peak(response)  # first run: one-time imports and caches
    _, small_total, small_peak = _consume_with_peak(
        client.get(f"/api/v1/layers/dataset-test-points-small/download.{fmt}"))
    _, total, peak = _consume_with_peak(client.get(f"/api/v1/layers/dataset-test-points/download.{fmt}"))
    # Four times the rows, about the same peak: memory is bounded by the
    # batch (100 rows) plus a fixed cost of the query, not by the layer.
    assert total > 3.5 * small_total
    assert peak < 1.5 * small_peak, (peak, small_peak)
    assert peak < 512 * 1024, peak


def _download(client, tmp_path, layer_id, fmt, query=""):
    response = client.get(f"/api/v1/layers/{layer_id}/download.{fmt}{query}")
    assert response.status_code == 200, response.content[:300] if hasattr(response, "content") else ""
    path = tmp_path / f"{layer_id}.{fmt}"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def _ogrinfo(*args) -> str:
    result = subprocess.run(["ogrinfo", "-ro", "-al", "-so", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_geojson_export_carries_metadata_and_licence(client, kubu_raya, tmp_path):
    path = _download(client, tmp_path, "desa", "geojson")
    doc = json.loads(path.read_text())
    assert len(doc["features"]) == 123
    assert doc["metadata"]["kip_class"] and doc["metadata"]["producer"]
    assert "MIT" in doc["licence"] and "Cahya DSN" in doc["licence"]


def test_csv_export_of_polygons_uses_wkt(client, kubu_raya, tmp_path):
    path = _download(client, tmp_path, "kecamatan", "csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,wkt,code,name")
    assert len(lines) == 10 and "MULTIPOLYGON" in lines[1]
    response = client.get("/api/v1/layers/kecamatan/download.csv?geometry=lonlat")
    assert response.status_code == 400


@needs_gdal
def test_exports_round_trip_through_gdal(client, points_layer, tmp_path):
    geojson = _ogrinfo(str(_download(client, tmp_path, "dataset-test-points", "geojson")))
    assert f"Feature Count: {ROWS}" in geojson and "label: String" in geojson
    csv_path = _download(client, tmp_path, "dataset-test-points", "csv")
    csv_info = _ogrinfo("-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "AUTODETECT_TYPE=YES",
                        str(csv_path))
    assert f"Feature Count: {ROWS}" in csv_info and "Point" in csv_info
    gpkg_path = _download(client, tmp_path, "dataset-test-points", "gpkg")
    info = _ogrinfo(str(gpkg_path))
    assert f"Feature Count: {ROWS}" in info
    assert "Geometry: Point" in info and "bucket: Integer" in info and "created_at: DateTime" in info
    # A feature reads back with its exact coordinates and values.
    feature = subprocess.run(["ogrinfo", "-ro", str(gpkg_path), "dataset_test_points", "-where", "feature_id = '42'"],
                             capture_output=True, text=True).stdout
    assert "POINT (109.342 -0.1)" in feature and "titik nomor 42" in feature
    assert "2026/01/02 18:00:00" in feature


@needs_gdal
def test_geopackage_of_polygons_with_metadata(client, kubu_raya, tmp_path):
    path = _download(client, tmp_path, "desa", "gpkg")
    info = _ogrinfo(str(path))
    assert "Feature Count: 123" in info and "Multi Polygon" in info
    assert "Extent: (109.0" in info
    validate = subprocess.run(["ogrinfo", "-ro", "-q", str(path), "-sql",
                               "SELECT metadata FROM gpkg_metadata"], capture_output=True, text=True)
    assert "kip_class" in validate.stdout


def test_unknown_layer_or_format(client, kubu_raya):
    assert client.get("/api/v1/layers/nope/download.csv").status_code == 404
    assert client.get("/api/v1/layers/desa/download.shp").status_code == 404
