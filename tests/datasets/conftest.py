import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency, Area
from geo.selectors import desa_centroids

# Singkawang: 100 km north of the regency, in another kabupaten (lon, lat).
SINGKAWANG = (108.9847, 0.9060)
SECRET_NIK = "6112014107900001"


@pytest.fixture
def agency(kubu_raya):
    return Agency.objects.order_by("code").first()


@pytest.fixture
def producer(agency):
    user = user_create(username="produsen", email="data@opd.kuburayakab.go.id")
    membership_grant(user=user, role=Role.DATA_PRODUCER, agency=agency)
    return user


@pytest.fixture
def walidata(kubu_raya):
    user = user_create(username="walidata", email="walidata@kuburayakab.go.id")
    membership_grant(user=user, role=Role.WALIDATA)
    return user


@pytest.fixture
def centroids(kubu_raya):
    """(code, lon, lat) of a point inside each desa with a boundary."""
    return desa_centroids()


@pytest.fixture
def desa_codes(kubu_raya):
    return list(Area.objects.filter(edition=kubu_raya, level="desa").order_by("code").values_list("code", flat=True))


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def create_dataset(user, agency, *, slug="sekolah", kind="spatial", kip_class="setiap_saat", **extra):
    body = {"slug": slug, "title": f"Dataset {slug}", "description": "Uji", "kind": kind,
            "producer": agency.code, "frequency": "tahunan", "kip_class": kip_class,
            "legal_basis": "UU 14/2008 Pasal 11 ayat (1)", "keywords": "uji, data", **extra}
    response = api(user).post("/api/v1/datasets/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def upload(user, slug, name, content: bytes, exempt_fields=""):
    data = {"file": SimpleUploadedFile(name, content)}
    if exempt_fields:
        data["exempt_fields"] = exempt_fields
    return api(user).post(f"/api/v1/datasets/{slug}/versions/", data, format="multipart")


def geojson(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def point(lon, lat, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def polygon(rings, **props):
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": rings}, "properties": props}


def square(lon, lat, half=0.001):
    return [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
             [lon - half, lat + half], [lon - half, lat - half]]]


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
