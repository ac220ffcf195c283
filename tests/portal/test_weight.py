"""Weight on a weak link: compressed HTML/JSON/GeoJSON (honouring q=0) and a
304 for the dashboard a browser already holds."""
import gzip
import json

import pytest

from common.compression import gzip_accepted

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header,accepted", [
    ("gzip, deflate, br", True), ("gzip;q=0.5", True), ("GZIP", True), ("*", True),
    ("gzip;q=0", False), ("gzip;q=0, deflate", False), ("identity", False), ("", False),
    ("*;q=0", False), ("br, *;q=0", False), ("x-gzip", True), ("gzip;q=0.0, *;q=1", False), ("gzip;q=bad", False),
])
def test_gzip_acceptance_follows_q_values(header, accepted):
    assert gzip_accepted(header) is accepted


@pytest.mark.parametrize("path", ["/lapor/", "/api/v1/categories/", "/peta/wilayah/desa.geojson",
                                  "/peta/wilayah/desa.garis.json"])
def test_pages_json_and_geojson_are_compressed_unless_refused(client, kubu_raya, path):
    from reports.services import categories_seed
    categories_seed()
    plain = client.get(path, HTTP_ACCEPT_ENCODING="gzip;q=0")
    assert plain.status_code == 200 and not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]
    body = b"".join(plain.streaming_content) if plain.streaming else plain.content
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip"
    raw = b"".join(packed.streaming_content) if packed.streaming else packed.content
    # encoded polylines are dense already (28 KB -> 18 KB); JSON and GeoJSON shrink more than half
    assert len(raw) < len(body) * (0.75 if path.endswith(".garis.json") else 0.5)
    unpacked = gzip.decompress(raw)
    if path.endswith((".geojson", "/categories/")):
        assert json.loads(unpacked) == json.loads(body)


def test_the_dashboard_answers_304_to_a_browser_that_has_it(client, kubu_raya):
    client.get("/dasbor/")  # the first visit sets the CSRF cookie the page's forms carry
    first = client.get("/dasbor/")
    assert first.status_code == 200 and first["ETag"].startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    again = client.get("/dasbor/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    other_language = client.get("/dasbor/", HTTP_IF_NONE_MATCH=first["ETag"], HTTP_ACCEPT_LANGUAGE="en")
    assert other_language.status_code == 200  # another language is another page
    stale = client.get("/dasbor/", HTTP_IF_NONE_MATCH='W/"0000"')
    assert stale.status_code == 200
