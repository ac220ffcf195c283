"""The Bahasa Indonesia pages: filing through the form, tracking, the
officer's decision form."""
import datetime

from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Role
from accounts.selectors import user_has_role
from ppid.models import InformationRequest, RequesterProfile

from .conftest import IDENTITY


def test_form_requires_login_then_files_and_shows_the_tracking_page(requester):
    client = Client()
    assert client.get("/ppid/permohonan/baru/").status_code == 302
    client.force_login(requester)
    form = client.get("/ppid/permohonan/baru/")
    assert "Formulir permohonan informasi publik" in form.content.decode()
    response = client.post("/ppid/permohonan/baru/", {
        **IDENTITY, "agency": "", "information": "Peta jaringan drainase Sungai Raya",
        "purpose": "Kajian banjir", "format": "softcopy", "delivery": "email"}, follow=True)
    request = InformationRequest.objects.get()
    assert request.identity.id_number == IDENTITY["id_number"]
    html = response.content.decode()
    assert request.registration_number in html and "Tenggat jawaban" in html


def test_form_with_a_short_nik_shows_the_error_and_saves_nothing(requester):
    client = Client()
    client.force_login(requester)
    response = client.post("/ppid/permohonan/baru/", {
        **IDENTITY, "id_number": "6112", "agency": "", "information": "x", "purpose": "y",
        "format": "softcopy", "delivery": "email"})
    assert response.status_code == 200
    assert "16 digit" in response.content.decode()
    assert not InformationRequest.objects.exists()


def test_officer_refuses_through_the_workspace_form(make_request, officer):
    request = make_request(received_on=datetime.date(2026, 10, 1))
    client = Client()
    client.force_login(officer)
    page = client.get(f"/ppid/petugas/{request.registration_number}/").content.decode()
    assert IDENTITY["name"] in page   # the handling PPID sees the identity
    client.post(f"/ppid/petugas/{request.registration_number}/", {
        "action": "decide", "decision": "refused", "exemption_basis": "", "consequence_test": ""})
    request.refresh_from_db()
    assert request.decision == ""     # no basis, no consequence test: nothing saved
    client.post(f"/ppid/petugas/{request.registration_number}/", {
        "action": "decide", "decision": "refused", "exemption_basis": "17h",
        "consequence_test": "Membuka kondisi kesehatan seseorang", "note": "Ditolak", "fee_rupiah": "0"})
    request.refresh_from_db()
    assert request.decision == "refused" and request.exemption_basis == "17h"


def test_signup_registers_a_requester_then_files_with_the_stored_identity(db):
    client = Client()
    response = client.post("/ppid/daftar/", {"username": "warga1", "password": "Kubu-Raya-2026!",
                                             **{**IDENTITY, "email": "warga1@example.id"}})
    assert response.status_code == 302
    profile = RequesterProfile.objects.get(user__username="warga1")
    assert profile.id_number == IDENTITY["id_number"]
    assert user_has_role(user=profile.user, roles=[Role.REQUESTER])
    form = client.get("/ppid/permohonan/baru/").content.decode()
    # identity is asked once, at registration: the request form names the requester, asks no NIK again
    assert 'id="identity-on-file"' in form and IDENTITY["name"] in form
    assert 'name="id_number"' not in form and 'name="address"' not in form
    response = client.post("/ppid/permohonan/baru/", {
        "agency": "", "information": "Data jalan rusak", "purpose": "Kajian", "format": "softcopy",
        "delivery": "email"}, follow=True)
    request = InformationRequest.objects.get(requester=profile.user)
    assert request.identity.id_number == IDENTITY["id_number"]   # the snapshot comes from the profile
    assert client.get("/ppid/permohonan/").status_code == 200


def test_signup_without_identity_creates_nothing(db):
    client = Client()
    response = client.post("/ppid/daftar/", {"username": "warga2", "email": "warga2@example.id",
                                             "password": "Kubu-Raya-2026!"})
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="warga2").exists()
    response = client.post("/ppid/daftar/", {"username": "warga2", "password": "Kubu-Raya-2026!",
                                             **{**IDENTITY, "id_number": "12345"}})
    assert "16 digit" in response.content.decode()
    assert not get_user_model().objects.filter(username="warga2").exists()
