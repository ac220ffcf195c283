"""Fixtures for RT Online: the seeded taxonomy, users with roles, real desa
points, and a submit helper that goes through the HTTP API."""
import io
import uuid

import pytest
from django.test import Client
from PIL import Image

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency, Area
from geo.selectors import desa_centroids
from reports.services import categories_seed

SUNGAI_RAYA = "61.12.01.2001"      # Puskesmas Sungai Durian, inside the Damkar post radius
TELUK_KAPUAS = "61.12.01.2012"     # Puskesmas Sungai Raya Dalam
KAMPUNG_BARU = "61.12.06.2011"     # Kecamatan Kubu, Puskesmas Kubu
PADANG_TIKAR_SATU = "61.12.05.2004"
SUNGAI_KAKAP = "61.12.09.2001"


@pytest.fixture
def taxonomy(kubu_raya):
    categories_seed()


@pytest.fixture
def desa_point(kubu_raya):
    points = {code: (lon, lat) for code, lon, lat in desa_centroids()}
    return lambda code: points[code]


@pytest.fixture
def make_user(db):
    def make(username, role=None, agency=None, area=None, email=None, **extra):
        user = user_create(username=username, password="rahasia-sekali-123",
                           email=email if email is not None else f"{username}@example.org", **extra)
        if role:
            membership_grant(user=user, role=role,
                             agency=Agency.objects.get(code=agency) if agency else None,
                             area=Area.objects.get(code=area, edition__is_current=True) if area else None)
        return user
    return make


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def users(make_user, taxonomy):
    return {
        "coordinator": make_user("koordinator", Role.COORDINATOR, "diskominfo"),
        "pupr": make_user("staf_pupr", Role.AGENCY_STAFF, "pupr"),
        "pupr_crew": make_user("kru_pupr", Role.FIELD_CREW, "pupr"),
        "pupr_head": make_user("kepala_pupr", Role.AGENCY_HEAD, "pupr"),
        "bpbd": make_user("staf_bpbd", Role.AGENCY_STAFF, "bpbd"),
        "pkm": make_user("staf_pkm", Role.AGENCY_STAFF, "pkm-sungai-durian"),
        "dinkes": make_user("staf_dinkes", Role.AGENCY_STAFF, "dinkes"),
        "resident": make_user("warga", Role.RESIDENT),
        "resident2": make_user("warga_dua", Role.RESIDENT),
        "planner": make_user("perencana", Role.PLANNER),
        "dpo": make_user("dpo", Role.DPO),
        "sysadmin": make_user("sysadmin", Role.SYSTEM_ADMIN),
    }


@pytest.fixture
def submit(desa_point):
    """POST /api/v1/reports/ as `user` (None = anonymous); returns the response."""
    def do(user=None, *, category="road-damage", desa=SUNGAI_RAYA, point=None, report_id=None,
           photo=True, **extra):
        lon, lat = point or desa_point(desa)
        data = {"id": str(report_id or uuid.uuid4()), "category": category, "lon": lon, "lat": lat,
                "description": extra.pop("description", "Jalan berlubang besar"), **extra}
        if photo is True:
            photo = jpeg_bytes()
        if photo:
            upload = io.BytesIO(photo)
            upload.name = "foto.jpg"
            data["photo"] = upload
        return client_for(user).post("/api/v1/reports/", data)
    return do


def jpeg_bytes(size=(64, 48), exif=None) -> bytes:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 80, 40)).save(out, format="JPEG", **kwargs)
    return out.getvalue()
