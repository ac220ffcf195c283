import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency
from ppid import services

WIB = ZoneInfo("Asia/Pontianak")


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    """An aware datetime on `day` in Asia/Pontianak."""
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=WIB)


IDENTITY = {"kind": "person", "name": "Siti Rahmawati", "id_number": "6112014107900001",
            "address": "Jl. Adisucipto Gg. Melati No. 7, Sungai Raya", "phone": "081234567890",
            "email": "siti.rahmawati@example.id"}


@pytest.fixture
def requester(db):
    return user_create(username="siti", email="siti.rahmawati@example.id")


@pytest.fixture
def other_requester(db):
    return user_create(username="budi", email="budi@example.id")


@pytest.fixture
def officer(db):
    user = user_create(username="ppid_utama", email="ppid@kuburayakab.go.id")
    membership_grant(user=user, role=Role.PPID_OFFICER)
    return user


@pytest.fixture
def agency(kubu_raya):
    return Agency.objects.order_by("code").first()


@pytest.fixture
def other_agency(kubu_raya):
    return Agency.objects.order_by("-code").first()


@pytest.fixture
def pelaksana(agency):
    user = user_create(username="ppid_pelaksana", email="pelaksana@kuburayakab.go.id")
    membership_grant(user=user, role=Role.PPID_OFFICER, agency=agency)
    return user


@pytest.fixture
def superior(db):
    user = user_create(username="sekda", email="sekda@kuburayakab.go.id", first_name="Yusran")
    membership_grant(user=user, role=Role.PPID_SUPERIOR)
    return user


@pytest.fixture
def make_request(requester):
    def make(*, received_on: datetime.date, user=None, agency=None, identity=None, information=None):
        return services.request_create(
            requester=user or requester, identity=identity or IDENTITY,
            information=information or "Daftar penerima bantuan alat tangkap ikan 2025 per desa",
            purpose="Penelitian skripsi", agency=agency, received_at=at(received_on))
    return make


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
