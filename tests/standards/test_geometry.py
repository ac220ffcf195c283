"""Issue 18, item 4: every polygon that leaves through OGC API, the GeoJSON
export and the GeoPackage export is valid as sent (7 decimals) and its
exterior rings are counter-clockwise (RFC 7946 3.1.6), holes clockwise."""
import json
import sqlite3

import pytest
from shapely import from_wkb
from shapely.geometry import shape

pytestmark = pytest.mark.django_db

POLYGON_LAYERS = ["desa", "kecamatan", "service-areas", "report-counts"]


def _problems(geometries) -> list[str]:
    problems = []
    for key, geom in geometries:
        if geom is None:
            continue
        if not geom.is_valid:
            problems.append(f"{key}: invalid")
        for polygon in getattr(geom, "geoms", [geom]):
            if not polygon.exterior.is_ccw:
                problems.append(f"{key}: clockwise exterior")
            if any(ring.is_ccw for ring in polygon.interiors):
                problems.append(f"{key}: counter-clockwise hole")
    return problems


@pytest.fixture
def with_counts(submit, users):
    assert submit(category="road-damage").status_code == 201


@pytest.mark.parametrize("layer", POLYGON_LAYERS)
def test_ogc_polygons_valid_and_ccw(client, with_counts, layer):
    doc = json.loads(client.get(f"/ogc/collections/{layer}/items", {"limit": 10000}).content)
    assert doc["features"]
    geometries = [(f["id"], shape(f["geometry"]) if f["geometry"] else None) for f in doc["features"]]
    assert not _problems(geometries)


@pytest.mark.parametrize("layer", ["desa", "kecamatan", "service-areas"])
def test_geojson_and_geopackage_exports_valid_and_ccw(client, kubu_raya, tmp_path, layer):
    doc = json.loads(b"".join(client.get(f"/api/v1/layers/{layer}/download.geojson").streaming_content))
    assert not _problems([(f["id"], shape(f["geometry"]) if f["geometry"] else None) for f in doc["features"]])
    response = client.get(f"/api/v1/layers/{layer}/download.gpkg")
    path = tmp_path / "layer.gpkg"
    path.write_bytes(b"".join(response.streaming_content) if response.streaming else response.content)
    with sqlite3.connect(path) as db:
        table, column = db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchone()
        rows = db.execute(f'SELECT rowid, "{column}" FROM "{table}"').fetchall()
    assert rows
    geometries = []
    for rowid, blob in rows:
        if blob is None:
            continue
        # GeoPackage binary: "GP", version, flags (envelope size in bits 1-3), srs id, envelope, WKB.
        flags = blob[3]
        envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
        geometries.append((rowid, from_wkb(bytes(blob[8 + envelope:]))))
    assert not _problems(geometries)
