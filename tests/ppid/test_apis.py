"""The PPID over real HTTP: filing, tracking, who sees what, the officer's
actions, the annual report and its privacy."""
import datetime
import json
import re

from django.core import mail
from django.utils import timezone
from django.core.management import call_command
from io import StringIO
from rest_framework.test import APIClient

from ppid import services
from ppid.models import InformationRequest, RequesterIdentity

from .conftest import IDENTITY, at, client_for

D = datetime.date

PAYLOAD = {"identity": IDENTITY, "information": "Rekap jumlah laporan banjir per desa 2025",
           "purpose": "Bahan liputan", "format": "softcopy", "delivery": "email"}


def test_requester_files_a_request_and_gets_a_number_and_due_date(requester):
    response = client_for(requester).post("/api/v1/ppid/requests/", PAYLOAD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["registration_number"].startswith(f"PPID-{body['received_on'][:4]}-")
    assert body["due_on"] > body["received_on"]
    assert body["identity"]["name"] == IDENTITY["name"]
    page = APIClient()
    page.force_login(requester)
    track = page.get(f"/ppid/permohonan/{body['registration_number']}/")
    assert track.status_code == 200
    assert "Lacak permohonan" in track.content.decode()


def test_anonymous_cannot_file(db):
    response = APIClient().post("/api/v1/ppid/requests/", PAYLOAD, format="json")
    assert response.status_code in (401, 403)
    assert not InformationRequest.objects.exists()


def test_invalid_nik_is_rejected_with_fields_and_nothing_saved(requester):
    bad = {**PAYLOAD, "identity": {**IDENTITY, "id_number": "12345"}}
    response = client_for(requester).post("/api/v1/ppid/requests/", bad, format="json")
    assert response.status_code == 400
    assert "identity" in response.json()["fields"]
    assert not InformationRequest.objects.exists() and not RequesterIdentity.objects.exists()


def test_requester_sees_only_their_own_requests(make_request, requester, other_requester):
    mine = make_request(received_on=D(2026, 10, 1))
    theirs = make_request(received_on=D(2026, 10, 1), user=other_requester,
                          identity={**IDENTITY, "name": "Budi Santoso", "id_number": "6112010101800002"})
    client = client_for(requester)
    listed = client.get("/api/v1/ppid/requests/").json()["results"]
    assert [r["registration_number"] for r in listed] == [mine.registration_number]
    assert client.get(f"/api/v1/ppid/requests/{theirs.registration_number}/").status_code == 404
    assert client.get(f"/api/v1/ppid/requests/{mine.registration_number}/").status_code == 200
    # Not even the workspace scope shows others' requests to a requester.
    assert client.get("/api/v1/ppid/requests/?scope=workspace").json()["results"] == []
    page = APIClient()
    page.force_login(requester)
    assert page.get(f"/ppid/permohonan/{theirs.registration_number}/").status_code == 404
    assert "Budi Santoso" not in page.get("/ppid/permohonan/").content.decode()
    assert page.get("/ppid/petugas/").status_code == 404


def test_requester_cannot_decide_their_own_request(make_request, requester):
    mine = make_request(received_on=D(2026, 10, 1))
    response = client_for(requester).post(f"/api/v1/ppid/requests/{mine.registration_number}/decision/",
                                          {"decision": "granted"}, format="json")
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.decision == ""


def test_ppid_pelaksana_sees_only_their_agency(make_request, pelaksana, agency, other_agency):
    ours = make_request(received_on=D(2026, 10, 1), agency=agency)
    elsewhere = make_request(received_on=D(2026, 10, 1), agency=other_agency)
    client = client_for(pelaksana)
    listed = client.get("/api/v1/ppid/requests/?scope=workspace").json()["results"]
    assert [r["registration_number"] for r in listed] == [ours.registration_number]
    assert client.get(f"/api/v1/ppid/requests/{elsewhere.registration_number}/").status_code == 404
    detail = client.get(f"/api/v1/ppid/requests/{ours.registration_number}/").json()
    assert detail["identity"]["id_number"] == IDENTITY["id_number"]


def test_officer_extends_decides_and_delivers_over_http(make_request, officer):
    request = make_request(received_on=datetime.date.today())
    client = client_for(officer)
    base = f"/api/v1/ppid/requests/{request.registration_number}"
    r = client.post(f"{base}/extension/", {"reason": "Perlu menghimpun data dari OPD lain"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["extended_due_on"]
    assert client.post(f"{base}/extension/", {"reason": "lagi"}, format="json").json()["code"] == "already_extended"
    r = client.post(f"{base}/decision/", {"decision": "partly", "exemption_basis": "17h",
                                          "consequence_test": "Nama penerima dihitamkan"}, format="json")
    assert r.status_code == 200 and r.json()["decision"] == "partly"
    r = client.post(f"{base}/delivery/", {"note": "Dikirim via surel"}, format="json")
    assert r.json()["status"] == "delivered"


def test_officer_workspace_page_shows_overdue(make_request, officer):
    make_request(received_on=datetime.date.today() - datetime.timedelta(days=60))
    page = APIClient()
    page.force_login(officer)
    html = page.get("/ppid/petugas/").content.decode()
    assert "TERLAMBAT" in html


def test_reminders_go_to_officers_once_a_day(make_request, officer, superior):
    request = make_request(received_on=D(2026, 10, 1))
    out = StringIO()
    call_command("ppid_send_reminders", "--today", "2026-10-14", stdout=out)
    assert "dry run" in out.getvalue() and not mail.outbox
    call_command("ppid_send_reminders", "--today", "2026-10-14", "--commit", stdout=StringIO())
    call_command("ppid_send_reminders", "--today", "2026-10-14", "--commit", stdout=StringIO())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [officer.email]
    assert request.registration_number in mail.outbox[0].subject
    # Nothing about the requester travels in the reminder.
    assert IDENTITY["name"] not in mail.outbox[0].body
    call_command("ppid_send_reminders", "--today", "2026-10-16", "--commit", stdout=StringIO())
    assert "Lewat tenggat" in mail.outbox[1].subject


def _register_year(make_request, officer, other_requester, requester):
    """2026: five requests; one granted on time, one partly after an
    extension, two refused (17h, 17a), one pending; one 2025 request."""
    a = make_request(received_on=D(2026, 10, 1))
    services.request_decide(request=a, user=officer, decision="granted", on=D(2026, 10, 6))
    services.request_deliver(request=a, user=officer, on=D(2026, 10, 7))
    b = make_request(received_on=D(2026, 3, 13), user=other_requester,
                     identity={**IDENTITY, "name": "Budi Santoso", "id_number": "6112010101800002"})
    services.request_extend(request=b, user=officer, reason="Data di 9 kecamatan", on=D(2026, 4, 2))
    services.request_decide(request=b, user=officer, decision="partly", on=D(2026, 4, 14),
                            exemption_basis="17h", consequence_test="NIK dihitamkan")
    c = make_request(received_on=D(2026, 5, 4))
    services.request_decide(request=c, user=officer, decision="refused", on=D(2026, 5, 22),
                            exemption_basis="17h", consequence_test="Riwayat kesehatan")
    services.objection_create(request=c, user=requester, ground="a", reason="Keberatan",
                              filed_at=at(D(2026, 5, 25)))
    d = make_request(received_on=D(2026, 6, 1))
    services.request_decide(request=d, user=officer, decision="refused", on=D(2026, 6, 2),
                            exemption_basis="17a", consequence_test="Menghambat penyidikan")
    make_request(received_on=D(2026, 11, 20))
    make_request(received_on=D(2025, 12, 30))


def test_annual_report_matches_the_register(make_request, officer, other_requester, requester):
    _register_year(make_request, officer, other_requester, requester)
    # Judged as of 1 December 2026: the request of 20 November (due 4 December)
    # is pending and not yet late. The date is passed in, never read from the
    # clock, so the figures below hold on any day the suite runs.
    report = APIClient().get("/api/v1/ppid/annual-report/2026/?as_of=2026-12-01").json()
    register = InformationRequest.objects.filter(received_on__year=2026)
    assert report["requests_received"] == register.count() == 5
    assert report["granted"] == register.filter(decision="granted").count() == 1
    assert report["partly_granted"] == 1
    assert report["refused"] == 2
    assert report["pending"] == 1
    assert report["extended"] == 1
    assert {(r["basis"], r["count"]) for r in report["refusal_reasons"]} == {("17h", 2), ("17a", 1)}
    # Working days to decision, counted by hand: a 3 (Oct 2, 5, 6); b 16 (13
    # Mar -> 14 Apr across Nyepi, Idul Fitri with cuti bersama and Good
    # Friday: 10 to 6 Apr, then 7-10, 13, 14 Apr); c 12 (4 May -> 22 May,
    # skipping Ascension 14 May and its cuti bersama 15 May); d 1.
    days = sorted(r["working_days_to_decision"] for r in report["requests"] if r["decision"])
    assert days == [1, 3, 12, 16]
    assert report["working_days_to_decision"]["max"] == 16
    # b was extended to 15 Apr (on time); c was due 20 May, decided 22 May.
    assert report["decided_late"] == 1
    assert report["decided_within_10_working_days"] == 2
    assert report["objections"]["filed"] == 1 and report["objections"]["pending"] == 1
    # A week later the same pending request has passed its due date.
    later = APIClient().get("/api/v1/ppid/annual-report/2026/?as_of=2026-12-08").json()
    assert later["decided_late"] == 2
    bad = APIClient().get("/api/v1/ppid/annual-report/2026/?as_of=kemarin")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_date"


def test_annual_report_contains_no_personal_data(make_request, officer, other_requester, requester):
    _register_year(make_request, officer, other_requester, requester)
    api = APIClient().get("/api/v1/ppid/annual-report/2026/").content.decode()
    page = APIClient().get("/ppid/laporan/2026/").content.decode()
    numbers = list(InformationRequest.objects.values_list("registration_number", flat=True))
    for text in (api, page):
        for secret in ("Siti", "Rahmawati", "Budi Santoso", IDENTITY["id_number"], "6112010101800002",
                       IDENTITY["email"], IDENTITY["phone"], "Adisucipto", "alat tangkap", "skripsi",
                       "siti", "budi", *numbers):
            # As a word: "siti" inside "Posisi Anda" (the page's offline texts) is nobody's name.
            assert not re.search(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", text), secret
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            keys.update(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(json.loads(api))
    assert not keys & {"identity", "name", "id_number", "email", "phone", "address", "information",
                       "purpose", "registration_number", "requester"}


def test_objection_and_dispute_over_http(make_request, officer, requester, superior, other_requester):
    # Filed "now" over HTTP: the refusal is today, so the window is open.
    today = timezone.localdate()
    request = make_request(received_on=today - datetime.timedelta(days=3))
    services.request_decide(request=request, user=officer, decision="refused", on=today,
                            exemption_basis="17h", consequence_test="Rahasia pribadi")
    base = f"/api/v1/ppid/requests/{request.registration_number}"
    # Someone else cannot object to this request (it does not exist for them).
    assert client_for(other_requester).post(f"{base}/objections/", {"ground": "a", "reason": "x"},
                                            format="json").status_code == 404
    response = client_for(requester).post(f"{base}/objections/", {"ground": "a", "reason": "Data agregat saja"},
                                          format="json")
    assert response.status_code == 201, response.content
    objection = response.json()
    assert objection["ground_on"] == today.isoformat()
    number = objection["registration_number"]
    assert number.startswith("KBR-")
    # Only the atasan PPID answers.
    assert client_for(officer).post(f"/api/v1/ppid/objections/{number}/decision/",
                                    {"decision": "accepted", "response": "x"}, format="json").status_code == 403
    answered = client_for(superior).post(f"/api/v1/ppid/objections/{number}/decision/",
                                         {"decision": "rejected", "response": "Menguatkan keputusan PPID"},
                                         format="json")
    assert answered.status_code == 200 and answered.json()["dispute_window_end"]
    disputed = client_for(requester).post(f"/api/v1/ppid/objections/{number}/dispute/",
                                          {"filed_on": answered.json()["dispute_window_end"]}, format="json")
    assert disputed.json()["dispute_filed_on"] == answered.json()["dispute_window_end"]


def test_requester_withdraws_an_undecided_request(make_request, requester, other_requester):
    request = make_request(received_on=D(2026, 10, 1))
    base = f"/api/v1/ppid/requests/{request.registration_number}"
    assert client_for(other_requester).post(f"{base}/withdrawal/").status_code == 404
    assert client_for(requester).post(f"{base}/withdrawal/").json()["status"] == "withdrawn"
    from ppid.selectors import requests_overdue
    assert list(requests_overdue(today=D(2026, 12, 1))) == []


def test_annual_report_command_prints_the_same_document(make_request, officer):
    request = make_request(received_on=D(2025, 3, 3))
    services.request_decide(request=request, user=officer, decision="granted", on=D(2025, 3, 5))
    out = StringIO()
    call_command("ppid_annual_report", "2025", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed == APIClient().get("/api/v1/ppid/annual-report/2025/").json()
    assert printed["requests_received"] == 1 and printed["requests"][0]["working_days_to_decision"] == 2
