"""Fixtures for announcements: speakers with real roles and areas, a helper
that subscribes through the HTTP API, and a fixed clock passed in (never the
wall clock)."""
import datetime
import zoneinfo

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency, Area
from geo.services import area_upsert

WIB = zoneinfo.ZoneInfo("Asia/Pontianak")
SUNGAI_RAYA = "61.12.01.2001"
KAPUR = "61.12.01.2008"
SUNGAI_AMBANGAH = "61.12.01.2002"
KUALA_DUA = "61.12.01.2004"
LIMBUNG = "61.12.01.2011"
ARANG_LIMBUNG = "61.12.01.2003"
TELUK_KAPUAS = "61.12.01.2012"
KEC_SUNGAI_RAYA = "61.12.01"
RT1 = "61.12.01.2001/RW-01/RT-001"
RT2 = "61.12.01.2001/RW-01/RT-002"


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def make_user(kubu_raya):
    def make(username, role=None, agency=None, area=None):
        user = user_create(username=username, password="rahasia-sekali-123", email=f"{username}@example.org")
        if role:
            membership_grant(user=user, role=role, agency=Agency.objects.get(code=agency) if agency else None,
                             area=Area.objects.get(code=area, edition__is_current=True) if area else None)
        return user
    return make


@pytest.fixture
def rt_units(kubu_raya):
    desa = Area.objects.get(code=SUNGAI_RAYA, edition=kubu_raya)
    rw, _ = area_upsert(edition=kubu_raya, code="61.12.01.2001/RW-01", name="RW 01", level=Area.Level.RW)
    for code, name in ((RT1, "RT 001"), (RT2, "RT 002")):
        area_upsert(edition=kubu_raya, code=code, name=name, level=Area.Level.RT)
    return desa, rw


@pytest.fixture
def speakers(make_user, rt_units):
    return {
        "bpbd": make_user("staf_bpbd", Role.AGENCY_STAFF, "bpbd"),
        "pdam": make_user("staf_pdam", Role.AGENCY_STAFF, "pdam"),
        "pupr": make_user("staf_pupr", Role.AGENCY_STAFF, "pupr"),
        "pupr_head": make_user("kepala_pupr", Role.AGENCY_HEAD, "pupr"),
        "pkm": make_user("staf_pkm", Role.AGENCY_STAFF, "pkm-sungai-durian"),
        "camat": make_user("camat_sr", Role.CAMAT, area=KEC_SUNGAI_RAYA),
        "desa": make_user("operator_sr", Role.DESA_OPERATOR, area=SUNGAI_RAYA),
        "rt": make_user("ketua_rt1", Role.KETUA_RT, area=RT1),
        "warga": make_user("warga", Role.RESIDENT),
    }


@pytest.fixture
def clock():
    """A fixed publication time: Monday 7 December 2026, 10:00 WIB."""
    return datetime.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)


def body(kind="information", area=None, now=None, **extra):
    now = now or datetime.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
    return {"kind": kind, "title_id": extra.pop("title_id", "Gangguan air bersih"),
            "body_id": extra.pop("body_id", "Aliran air PDAM terhenti untuk perbaikan pipa."),
            "valid_from": (now - datetime.timedelta(hours=1)).isoformat(),
            "valid_to": (now + datetime.timedelta(days=2)).isoformat(), "area": area if area is not None else {"codes": [SUNGAI_RAYA]},
            **extra}


@pytest.fixture
def subscribe(speakers):
    """subscribe(user, target=..., **fields) through POST /api/v1/subscriptions/ (e-mail channel)."""
    def do(user=None, *, channel="email", **fields):
        data = {"channel": channel, **fields}
        response = client_for(user or speakers["warga"]).post("/api/v1/subscriptions/", data,
                                                              content_type="application/json")
        assert response.status_code == 201, response.content
        return response.json()
    return do
