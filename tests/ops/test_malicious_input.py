"""Malicious input is refused cleanly (4xx with a code, nothing stored, no 500).

Uploads: image bombs, wrong types, path tricks in file names. Geometries: huge,
self-intersecting, wrong SRID, a user-supplied spatial reference (GDAL must
never be asked to open a file or a URL named by a client).
"""
import io
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

POINT = {"lon": 109.3724, "lat": -0.0715}  # inside desa Sungai Raya


def _needs(path: str):
    try:
        resolve(path)
    except Resolver404:
        pytest.skip(f"{path} is not on this branch yet")


# --- coordinates -----------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lon,lat", [("nan", "0"), ("inf", "-1"), ("1e400", "0"), ("109.3", "-inf"),
                                     ("0x1p3", "0"), ("109.3;DROP TABLE geo_area", "0"), ("", ""),
                                     ("181", "0"), ("109.3", "91")])
def test_bad_coordinates_are_400(client, kubu_raya, lon, lat):
    response = client.get("/api/v1/areas/covering", {"lon": lon, "lat": lat})
    assert response.status_code == 400, response.content
    assert response.json()["code"]


# --- uploads ----------------------------------------------------------------------

def _png_bomb(width=50_000, height=50_000) -> bytes:
    """A valid PNG header claiming 2.5 gigapixels, with a tiny compressed body."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _jpeg() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def _category(client) -> str:
    from reports.services import categories_seed
    categories_seed()
    return next(c["code"] for c in client.get("/api/v1/categories/").json()
                if c["publication_class"] == "P0")


@pytest.fixture
def submit(client, kubu_raya):
    _needs("/api/v1/reports/")
    code = _category(client)

    def post(filename: str, content: bytes, content_type: str = "image/jpeg"):
        from django.core.files.uploadedfile import SimpleUploadedFile
        report_id = str(uuid.uuid4())
        response = client.post("/api/v1/reports/", {
            "id": report_id, "category": code, "description": "Uji berkas berbahaya", **POINT,
            "photo": SimpleUploadedFile(filename, content, content_type=content_type)})
        return report_id, response
    return post


def _stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.django_db
@pytest.mark.parametrize("name,content,content_type,code", [
    ("bom.png", _png_bomb(), "image/png", "photo_too_large"),
    ("foto.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg", "photo_type"),
    ("foto.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml",
     "photo_type"),
    ("foto.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "image/jpeg", "photo_type"),
    ("foto.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", "photo_type"),
    ("foto.jpg", _jpeg()[:200], "image/jpeg", "photo_type"),  # truncated
])
def test_malicious_uploads_are_refused_and_nothing_is_stored(submit, name, content, content_type, code):
    from reports.models import Report
    before = _stored_files()
    report_id, response = submit(name, content, content_type)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Report.objects.filter(id=report_id).exists()  # bad input changes nothing
    assert _stored_files() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../../../../etc/cron.d/x.jpg", "..\\..\\win.ini.jpg", "/etc/passwd.jpg",
                                  "foto\x00.php.jpg", ".htaccess.jpg", "a" * 400 + ".jpg"])
def test_path_tricks_in_file_names_stay_inside_media_under_a_generated_name(submit, name):
    from reports.models import Report
    report_id, response = submit(name, _jpeg())
    assert response.status_code in (200, 201, 400), response.content
    if response.status_code == 400:
        assert not Report.objects.filter(id=report_id).exists()
        return
    root = Path(settings.MEDIA_ROOT).resolve()
    for photo in Report.objects.get(id=report_id).photos.all():
        stored = (root / photo.image.name).resolve() if hasattr(photo, "image") else None
        path = stored or (root / photo.file.name).resolve()
        assert root in path.parents and path.is_file()
        assert ".." not in Path(path.name).parts and "passwd" not in path.name and "htaccess" not in path.name


# --- geometries --------------------------------------------------------------------

SQUARE = [[109.30, -0.10], [109.40, -0.10], [109.40, 0.0], [109.30, 0.0], [109.30, -0.10]]
BOWTIE = [[109.30, -0.10], [109.40, 0.0], [109.40, -0.10], [109.30, 0.0], [109.30, -0.10]]


def _huge_polygon(n=200_000):
    import math
    ring = [[109.35 + 0.05 * math.cos(2 * math.pi * i / n), -0.05 + 0.05 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


@pytest.fixture
def planner(client, kubu_raya):
    _needs("/api/v1/planner/within")
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from accounts.models import Membership, Role
    user = get_user_model().objects.create_user(username="perencana", password="x" * 12)
    Membership.objects.create(user=user, role=Role.PLANNER)
    token = Token.objects.create(user=user).key

    def post(geometry):
        return client.post("/api/v1/planner/within", {"layer": "desa", "geometry": geometry},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    return post


@pytest.mark.django_db
def test_a_valid_polygon_is_accepted(planner):
    response = planner({"type": "Polygon", "coordinates": [SQUARE]})
    assert response.status_code == 200, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("label,geometry", [
    ("self-intersecting bow tie", {"type": "Polygon", "coordinates": [BOWTIE]}),
    ("wrong SRID: metres given as degrees", {"type": "Polygon", "coordinates": [[
        [12170000, -11000], [12180000, -11000], [12180000, 0], [12170000, 0], [12170000, -11000]]]}),
    ("crs member naming EPSG:3857", {"type": "Polygon", "coordinates": [SQUARE],
                                     "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}),
    ("crs member naming a local file", {"type": "Polygon", "coordinates": [SQUARE],
                                        "crs": {"type": "name", "properties": {"name": "/etc/passwd"}}}),
    ("crs member naming a URL", {"type": "Polygon", "coordinates": [SQUARE],
                                 "crs": {"type": "link", "properties": {"href": "http://127.0.0.1:9/x.prj",
                                                                        "type": "proj4"}}}),
    ("huge: 200,000 vertices", _huge_polygon()),
    ("not a geometry", {"type": "Feature", "geometry": None}),
    ("NaN coordinates", '{"type": "Point", "coordinates": [NaN, 0]}'),
    ("unclosed ring", {"type": "Polygon", "coordinates": [SQUARE[:-1]]}),
    ("geometry collection bomb", {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [109.3, -0.1]}] * 10_000}),
])
def test_malicious_geometries_are_refused_with_a_code(planner, label, geometry):
    response = planner(geometry)
    assert 400 <= response.status_code < 500, (label, response.status_code, response.content[:300])
    assert response.json()["code"], label
