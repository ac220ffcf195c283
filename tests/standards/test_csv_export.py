"""Issue 18, item 7 (CSV): a BOM so that Excel reads UTF-8, every WKT cell
within Excel's 32,767 characters, lon/lat with 7 decimals as in GeoJSON."""
import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def _rows(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and int(response["Content-Length"]) == len(body)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("layer", ["desa", "kecamatan", "service-areas"])
def test_wkt_cells_fit_a_spreadsheet_cell(client, kubu_raya, layer):
    rows = _rows(client, f"/api/v1/layers/{layer}/download.csv")
    wkt = rows[0].index("wkt")
    assert len(rows) > 9
    assert max(len(r[wkt]) for r in rows[1:]) <= 32_767
    assert all(r[wkt].startswith("MULTIPOLYGON") for r in rows[1:] if r[wkt])


def test_lon_lat_have_seven_decimals(client, submit, users):
    assert submit(category="flood", photo=None).status_code == 201
    rows = _rows(client, "/api/v1/layers/reports/download.csv")
    lon, lat = rows[0].index("lon"), rows[0].index("lat")
    for row in rows[1:]:
        for value in (row[lon], row[lat]):
            assert len(value.split(".")[1]) <= 7, value
