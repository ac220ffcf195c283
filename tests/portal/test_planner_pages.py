"""The planner's pages (/perencana/): an area drawn as a polygon or a buffer,
statistics and hotspots on the map and as tables, downloads, and the printed
map document (folium)."""
import csv
import io
import json
import re
import sqlite3
import tempfile
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Role
from reports.services import report_submit
from tests.reports.conftest import SUNGAI_RAYA, desa_point, jpeg_bytes, make_user, taxonomy  # noqa: F401

M_PER_DEG = 111_320


@pytest.fixture
def cluster(taxonomy, desa_point):
    """Six road-damage reports within ~50 m in Sungai Raya, one 3 km away."""
    lon, lat = desa_point(SUNGAI_RAYA)
    made = []
    for i, dx in enumerate([0, 8, 16, 24, 32, 40, 3000]):
        made.append(report_submit(
            report_id=uuid.uuid4(), category_code="road-damage", lon=lon + dx / M_PER_DEG, lat=lat,
            description=f"Jalan rusak nomor {i}",
            photo=SimpleUploadedFile("f.jpg", jpeg_bytes(), content_type="image/jpeg")).report)
    return lon, lat


@pytest.fixture
def planner(make_user):
    client = Client()
    client.force_login(make_user("perencana", Role.PLANNER))
    return client


def _square(lon, lat, half_m):
    d = half_m / M_PER_DEG
    return json.dumps({"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                          [lon - d, lat + d], [lon - d, lat - d]]]})


def test_polygon_gives_statistics_hotspot_features_and_downloads(planner, cluster):
    lon, lat = cluster
    q = {"geometry": _square(lon, lat, 500), "layer": "reports", "category": "road-damage"}
    page = planner.get("/perencana/", q)
    html = page.content.decode()
    assert page.status_code == 200
    stats = html.split('id="planner-stats"')[1].split("</table>")[0]
    # Published counts are rounded to the nearest 5 (docs/layers.md): the 6
    # reports of the cluster show as 5 (the far one is in the next desa).
    assert "Sungai Raya" in stats and '<td class="num">5</td>' in stats
    hotspots = html.split('id="planner-hotspots"')[1].split("</table>")[0]
    assert '<td class="num">5</td>' in hotspots                             # the cluster, not the far one
    assert re.search(r"id=\"feature-count\">(\d+)<", html).group(1) == "6"   # 6 inside the polygon
    data = json.loads(html.split('id="planner-result-data" type="application/json">')[1].split("</script>")[0])
    assert len(data["features"]) == 6 and len(data["hotspots"]) == 1

    geojson = planner.get("/perencana/unduh.geojson", q)
    assert geojson.status_code == 200 and len(geojson.json()["features"]) == 6
    rows = list(csv.reader(io.StringIO(planner.get("/perencana/unduh.csv", q).content.decode())))
    assert rows[0][:3] == ["id", "lon", "lat"] and len(rows) == 7
    gpkg = planner.get("/perencana/unduh.gpkg", q)
    with tempfile.NamedTemporaryFile(suffix=".gpkg") as handle:
        handle.write(gpkg.content)
        handle.flush()
        db = sqlite3.connect(handle.name)
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 6
        assert db.execute("SELECT table_name FROM gpkg_contents").fetchone()[0] == "reports"
        db.close()

    printed = planner.get("/perencana/cetak/", q)
    doc = printed.content.decode()
    assert printed.status_code == 200 and "leaflet" in doc.lower() and 'id="print-header"' in doc
    assert "Sungai Raya" in doc and "Jalan rusak nomor" not in doc            # aggregates, no report text
    assert "portal/vendor/leaflet/leaflet.js" in doc and "cdn.jsdelivr" not in doc


def test_a_point_with_a_buffer_and_bad_input(planner, cluster):
    lon, lat = cluster
    point = json.dumps({"type": "Point", "coordinates": [lon, lat]})
    html = planner.get("/perencana/", {"geometry": point, "buffer_m": "100", "layer": "reports"}).content.decode()
    assert 'id="feature-count">6<' in html
    html = planner.get("/perencana/", {"geometry": point, "buffer_m": "3100", "layer": "reports"}).content.decode()
    assert 'id="feature-count">7<' in html
    bad = planner.get("/perencana/", {"geometry": "{kacau", "layer": "reports"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    body = planner.get("/perencana/unduh.csv", {"geometry": "{kacau"}).json()
    assert body["code"] == "invalid_query" and body["message"]
    assert planner.get("/perencana/unduh.csv").json()["code"] == "geometry_required"
    assert planner.get("/perencana/", {"geometry": point, "buffer_m": "999999"}).status_code == 400


def test_planner_pages_are_for_planners_only(make_user, cluster):
    client = Client()
    client.force_login(make_user("warga", Role.RESIDENT))
    assert client.get("/perencana/").status_code == 403
    assert client.get("/perencana/unduh.csv").status_code == 403


def test_statistics_group_by_kecamatan_and_within_over_get(planner, cluster):
    lon, lat = cluster
    response = planner.get("/api/v1/planner/statistics?group_by=kecamatan")
    assert response.status_code == 200 and response.json()["level"] == "kecamatan"
    # 7 reports, counts rounded to the nearest 5 per kecamatan (docs/layers.md):
    # 6 in one kecamatan and 1 in the next give 5 + 0.
    assert sum(r["count"] for r in response.json()["results"] if isinstance(r["count"], int)) == 5
    within = planner.get("/api/v1/planner/within", {"layer": "reports", "geometry": _square(lon, lat, 500)})
    assert within.status_code == 200 and len(json.loads(within.content)["features"]) == 6
    assert planner.get("/api/v1/planner/within", {"layer": "reports", "geometry": "x"}).status_code == 400
