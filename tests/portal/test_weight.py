"""Weight on a weak link: compressed HTML/JSON/GeoJSON (honouring q=0) and a
304 for the dashboard a browser already holds."""
import gzip
import json

import pytest
from django.conf import settings

from common.compression import brotli_accepted, gzip_accepted, negotiate

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


@pytest.mark.parametrize("header,coding", [
    ("gzip, deflate, br, zstd", "br"), ("br;q=0.1, gzip", "br"), ("gzip, br;q=0", "gzip"), ("*", "br"),
    ("br, *;q=0", "br"), ("gzip, deflate", "gzip"), ("identity", "identity"), ("", "identity"),
    ("*;q=0", "identity"),
])
def test_brotli_is_preferred_when_accepted(header, coding):
    assert negotiate(header) == coding
    assert brotli_accepted(header) is (coding == "br")


@pytest.mark.parametrize("path", ["/peta/wilayah/desa.geojson", "/peta/wilayah/kecamatan.garis.json?kasar=1"])
def test_boundary_files_go_out_brotli_compressed_once_per_edition(client, kubu_raya, path):
    """Issue 19: a browser that accepts br gets the boundary file compressed at
    brotli's best (the desa GeoJSON: about 21 KiB instead of 30 KiB gzipped),
    the bytes kept per edition; the ETag is weak and one for every coding."""
    import brotli

    plain = client.get(path, HTTP_ACCEPT_ENCODING="identity")
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")
    gzipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "br" and gzipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and packed["ETag"] == plain["ETag"] and plain["ETag"].startswith('W/"')
    assert brotli.decompress(packed.content) == plain.content == gzip.decompress(gzipped.content)
    assert len(packed.content) < len(gzipped.content)
    if path.endswith(".geojson"):
        assert len(packed.content) < 0.75 * len(gzipped.content)
    again = client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_static_files_are_minified_and_brotli_compressed():
    """collectstatic (common.staticfiles) writes the project's own scripts
    minified and a .br and .gz copy of every file; WhiteNoise picks the copy
    the browser accepts. Vendored files stay as they come."""
    import brotli
    from django.test import Client

    client = Client()
    source = (settings.BASE_DIR / "portal" / "static" / "portal" / "js" / "lapor.js").read_text()
    packed = client.get("/static/portal/js/lapor.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed.status_code == 200 and packed["Content-Encoding"] == "br"
    script = brotli.decompress(b"".join(packed.streaming_content)).decode()
    assert "/*" not in script and "\n  " not in script and len(script) < 0.8 * len(source)
    assert "KR.decodePolyline" in script and '"use strict"' in script
    leaflet = client.get("/static/portal/vendor/leaflet/leaflet.js", HTTP_ACCEPT_ENCODING="gzip")
    assert leaflet["Content-Encoding"] == "gzip"
    vendored = (settings.BASE_DIR / "portal" / "static" / "portal" / "vendor" / "leaflet" / "leaflet.js").read_bytes()
    assert gzip.decompress(b"".join(leaflet.streaming_content)) == vendored


def test_the_storage_minifies_only_the_projects_own_files(tmp_path):
    import shutil
    import subprocess

    from django.core.files.storage import FileSystemStorage

    from common.staticfiles import MinifiedCompressedStaticFilesStorage

    source = FileSystemStorage(location=settings.BASE_DIR / "portal" / "static")
    storage = MinifiedCompressedStaticFilesStorage(location=tmp_path, base_url="/static/")
    names = ["portal/js/lapor.js", "portal/js/common.js", "portal/css/portal.css", "portal/vendor/leaflet/leaflet.js"]
    for name in names:
        storage.save(name, source.open(name))
    list(storage.post_process({name: (source, name) for name in names}))
    for name in names:
        original = source.open(name).read()
        written = (tmp_path / name).read_bytes()
        if "vendor/" in name:
            assert written == original
        else:
            assert len(written) < 0.85 * len(original) and b"/*" not in written, name
        assert (tmp_path / (name + ".br")).exists() and (tmp_path / (name + ".gz")).exists()
    if shutil.which("node"):  # what runs in the browser still parses (the browser tests run it too)
        for name in ("portal/js/lapor.js", "portal/js/common.js"):
            checked = subprocess.run(["node", "--check", str(tmp_path / name)], capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr


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
