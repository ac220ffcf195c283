"""The pemohon informasi publik: registration with the identity the law asks
for, filing with the stored identity, seeing only one's own requests (API and
pages), objections, and hearing of every answer by e-mail."""
import datetime

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from accounts.selectors import user_has_role
from ppid import services, tasks
from ppid.models import InformationRequest, RequesterIdentity, RequesterProfile

from .conftest import IDENTITY, client_for

D = datetime.date
PASSWORD = "Kubu-Raya-2026!"
BUDI = {"kind": "person", "name": "Budi Santoso Rahasia", "id_number": "6112010101800002",
        "address": "Jl. Sepakat II Gg. Rahasia No. 13, Kubu", "phone": "081399988877",
        "email": "budi.rahasia@example.id"}
ASK = {"information": "Rekap pemeliharaan jalan kabupaten 2025", "purpose": "Penelitian",
       "format": "softcopy", "delivery": "email"}


def register(username: str, identity: dict) -> APIClient:
    response = APIClient().post("/api/v1/ppid/requesters/", {
        "username": username, "email": identity["email"], "password": PASSWORD, "identity": identity},
        format="json")
    assert response.status_code == 201, response.content
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_registration_grants_the_requester_role_and_keeps_the_identity_apart(db):
    client = register("siti", IDENTITY)
    user = get_user_model().objects.get(username="siti")
    assert user_has_role(user=user, roles=[Role.REQUESTER])
    assert user.check_password(PASSWORD)
    me = client.get("/api/v1/ppid/requesters/me/").json()
    assert me["identity"]["id_number"] == IDENTITY["id_number"]
    # Filing needs no identity any more: the request keeps a snapshot of the profile.
    filed = client.post("/api/v1/ppid/requests/", ASK, format="json")
    assert filed.status_code == 201, filed.content
    snapshot = RequesterIdentity.objects.get(request__registration_number=filed.json()["registration_number"])
    assert (snapshot.name, snapshot.id_number, snapshot.address) == (
        IDENTITY["name"], IDENTITY["id_number"], IDENTITY["address"])


def test_registration_with_a_bad_nik_or_a_taken_name_writes_nothing(db):
    bad = APIClient().post("/api/v1/ppid/requesters/", {
        "username": "siti", "email": "s@example.id", "password": PASSWORD,
        "identity": {**IDENTITY, "id_number": "6112"}}, format="json")
    assert bad.status_code == 400 and "identity" in bad.json()["fields"]
    assert not get_user_model().objects.filter(username="siti").exists()
    weak = APIClient().post("/api/v1/ppid/requesters/", {
        "username": "siti", "email": "s@example.id", "password": "1234567890", "identity": IDENTITY},
        format="json")
    assert weak.status_code == 400 and weak.json()["code"] == "invalid_password"
    register("siti", IDENTITY)
    taken = APIClient().post("/api/v1/ppid/requesters/", {
        "username": "siti", "email": "x@example.id", "password": PASSWORD, "identity": BUDI}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "username_taken"
    assert RequesterProfile.objects.count() == 1
    assert not RequesterProfile.objects.filter(name=BUDI["name"]).exists()


def test_an_account_without_a_requester_identity_cannot_file(db):
    user = get_user_model().objects.create_user(username="warga", password=PASSWORD)
    response = client_for(user).post("/api/v1/ppid/requests/", ASK, format="json")
    assert response.status_code == 403 and response.json()["code"] == "requester_not_registered"
    assert not InformationRequest.objects.exists()
    assert not Membership.objects.filter(user=user).exists()
    # Giving the identity with the request registers the account as a requester.
    response = client_for(user).post("/api/v1/ppid/requests/", {**ASK, "identity": IDENTITY}, format="json")
    assert response.status_code == 201
    assert user_has_role(user=user, roles=[Role.REQUESTER])


def test_a_requester_never_sees_another_requesters_request_or_identity(db, officer):
    siti, budi = register("siti", IDENTITY), register("budi", BUDI)
    number = budi.post("/api/v1/ppid/requests/", ASK, format="json").json()["registration_number"]
    siti_number = siti.post("/api/v1/ppid/requests/", ASK, format="json").json()["registration_number"]
    secrets = [BUDI[k] for k in ("name", "id_number", "address", "phone", "email")]

    api_answers = [siti.get(path) for path in (
        "/api/v1/ppid/requests/", "/api/v1/ppid/requests/?scope=workspace", f"/api/v1/ppid/requests/{number}/",
        "/api/v1/ppid/requesters/me/", f"/api/v1/ppid/requests/{siti_number}/")]
    assert api_answers[2].status_code == 404
    assert [r["registration_number"] for r in api_answers[0].json()["results"]] == [siti_number]
    assert api_answers[1].json()["results"] == []
    for path, body in ((f"/api/v1/ppid/requests/{number}/objections/", {"ground": "c", "reason": "x"}),
                       (f"/api/v1/ppid/requests/{number}/withdrawal/", {}),
                       (f"/api/v1/ppid/requests/{number}/decision/", {"decision": "granted"})):
        assert siti.post(path, body, format="json").status_code == 404
    pages = Client()
    pages.force_login(get_user_model().objects.get(username="siti"))
    page_answers = [pages.get(path) for path in (
        "/ppid/permohonan/", f"/ppid/permohonan/{number}/", f"/ppid/petugas/{number}/", "/ppid/petugas/",
        "/ppid/permohonan/baru/", f"/ppid/permohonan/{siti_number}/")]
    assert [a.status_code for a in page_answers[:4]] == [200, 404, 404, 404]
    for answer in api_answers + page_answers:
        body = answer.content.decode()
        assert number not in body
        for secret in secrets:
            assert secret not in body
    assert InformationRequest.objects.get(registration_number=number).status == "registered"
    # The PPID's staff see every request and its identity.
    staff = client_for(officer)
    listed = staff.get("/api/v1/ppid/requests/?scope=workspace").json()["results"]
    assert {r["registration_number"] for r in listed} == {number, siti_number}
    assert staff.get(f"/api/v1/ppid/requests/{number}/").json()["identity"]["id_number"] == BUDI["id_number"]


def test_pelaksana_sees_neither_other_agencies_requests_nor_their_objections(
        make_request, requester, pelaksana, officer, other_agency):
    other = make_request(received_on=D(2026, 10, 1), agency=other_agency)
    services.request_decide(request=other, user=officer, decision="refused", exemption_basis="17h",
                            consequence_test="Rahasia pribadi", on=D(2026, 10, 5))
    objection = services.objection_create(request=other, user=requester, ground="a", reason="Keberatan",
                                          filed_at=timezone.make_aware(datetime.datetime(2026, 10, 6, 9)))
    pages = Client()
    pages.force_login(pelaksana)
    html = pages.get("/ppid/petugas/").content.decode()
    assert objection.registration_number not in html and other.registration_number not in html
    assert pages.get(f"/ppid/petugas/{other.registration_number}/").status_code == 404


def test_the_requester_receives_every_answer_once(db, officer, superior, django_capture_on_commit_callbacks):
    siti = register("siti", IDENTITY)
    number = siti.post("/api/v1/ppid/requests/", ASK, format="json").json()["registration_number"]
    request = InformationRequest.objects.get(registration_number=number)
    mail.outbox.clear()
    staff = client_for(officer)
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/api/v1/ppid/requests/{number}/extension/",
                          {"reason": "Data masih dihimpun dari UPT"}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/api/v1/ppid/requests/{number}/decision/", {
            "decision": "refused", "exemption_basis": "17h", "consequence_test": "Memuat rahasia pribadi",
            "note": "Informasi memuat data pribadi warga."}, format="json").status_code == 200
    assert [m.to for m in mail.outbox] == [[IDENTITY["email"]]] * 2
    assert "diperpanjang" in mail.outbox[0].subject and "Data masih dihimpun" in mail.outbox[0].body
    assert number in mail.outbox[1].subject and "Informasi memuat data pribadi warga." in mail.outbox[1].body
    assert IDENTITY["id_number"] not in mail.outbox[1].body and IDENTITY["address"] not in mail.outbox[1].body
    # A second run of the same job (retry, duplicate delivery) sends nothing.
    assert tasks.notify_requester.apply(args=[request.pk, "decided", None]).get() is False
    assert len(mail.outbox) == 2
    # The requester objects (the law allows it after a refusal) and hears the superior's answer.
    objected = siti.post(f"/api/v1/ppid/requests/{number}/objections/",
                         {"ground": "a", "reason": "Saya hanya meminta data agregat."}, format="json")
    assert objected.status_code == 201, objected.content
    objection_number = objected.json()["registration_number"]
    with django_capture_on_commit_callbacks(execute=True):
        answered = client_for(superior).post(f"/api/v1/ppid/objections/{objection_number}/decision/", {
            "decision": "accepted", "response": "Diberikan dalam bentuk agregat per desa."}, format="json")
    assert answered.status_code == 200
    assert len(mail.outbox) == 3 and mail.outbox[2].to == [IDENTITY["email"]]
    assert "Diberikan dalam bentuk agregat per desa." in mail.outbox[2].body
    track = siti.get(f"/api/v1/ppid/requests/{number}/").json()
    assert track["objections"][0]["decision"] == "accepted"


def test_an_objection_before_its_ground_arises_is_refused(db):
    siti = register("siti", IDENTITY)
    number = siti.post("/api/v1/ppid/requests/", ASK, format="json").json()["registration_number"]
    response = siti.post(f"/api/v1/ppid/requests/{number}/objections/", {"ground": "c", "reason": "Belum dijawab"},
                         format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_ground"


def test_requester_deletes_the_profile_and_the_register_keeps_its_record(db):
    siti = register("siti", IDENTITY)
    number = siti.post("/api/v1/ppid/requests/", ASK, format="json").json()["registration_number"]
    assert siti.delete("/api/v1/ppid/requesters/me/").status_code == 204
    user = get_user_model().objects.get(username="siti")
    assert not RequesterProfile.objects.filter(user=user).exists()
    assert not user_has_role(user=user, roles=[Role.REQUESTER])
    assert siti.get("/api/v1/ppid/requesters/me/").status_code == 404
    assert RequesterIdentity.objects.filter(request__registration_number=number).exists()
    assert siti.post("/api/v1/ppid/requests/", ASK, format="json").status_code == 403


def test_the_requester_is_told_when_an_objection_is_possible_and_until_when(make_request, requester, officer):
    from common.workdays import add_working_days

    request = make_request(received_on=D(2026, 10, 1))
    client = client_for(requester)
    assert client.get(f"/api/v1/ppid/requests/{request.registration_number}/").json()[
        "objection_grounds_open"] == []
    pages = Client()
    pages.force_login(requester)
    assert "Pasal 35-36" in pages.get(f"/ppid/permohonan/{request.registration_number}/").content.decode()
    services.request_decide(request=request, user=officer, decision="refused", exemption_basis="17h",
                            consequence_test="Rahasia pribadi", on=timezone.localdate())
    grounds = client.get(f"/api/v1/ppid/requests/{request.registration_number}/").json()["objection_grounds_open"]
    assert {g["ground"] for g in grounds} >= {"a", "e"}
    assert {g["window_end"] for g in grounds} == {add_working_days(timezone.localdate(), 30).isoformat()}
    html = pages.get(f"/ppid/permohonan/{request.registration_number}/").content.decode()
    assert 'value="a"' in html and 'value="c"' not in html   # not answered: it was answered
