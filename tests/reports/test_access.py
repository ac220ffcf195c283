"""Roles: agencies see only their reports; personal data only for the
handling agency, every read logged and exportable for the DPO; the system
admin (even a superuser) has no default access."""
import csv
import io

import pytest

from reports.models import PersonalDataAccess

from .conftest import client_for


@pytest.fixture
def health(submit, users):
    response = submit(users["resident"], category="health-visit", photo=None, description="Butuh kunjungan",
                      subject_name="Ibu Siti", subject_age=71, subject_condition="sesak napas")
    assert response.json()["agency"]["code"] == "pkm-sungai-durian"
    return response.json()["id"]


@pytest.fixture
def road(submit, users):
    return submit(users["resident"]).json()["id"]


def test_an_agency_cannot_read_another_agencys_report(users, health):
    for user in ("bpbd", "pupr", "dinkes", "planner", "dpo", "sysadmin", "resident2"):
        client = client_for(users[user])
        assert client.get(f"/api/v1/reports/{health}/").status_code == 404, user
        assert client.get(f"/api/v1/reports/{health}/timeline/").status_code == 404, user
    assert health not in [r["id"] for r in client_for(users["bpbd"]).get("/api/v1/reports/queue/").json()["results"]]
    own = client_for(users["pkm"]).get(f"/api/v1/reports/{health}/").json()
    assert own["description"] == "Butuh kunjungan" and own["has_subject_data"] is True
    assert health in [r["id"] for r in client_for(users["pkm"]).get("/api/v1/reports/queue/").json()["results"]]


def test_superuser_without_a_role_has_no_default_access(users, health, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "rahasia-sekali-123")
    client = client_for(root)
    assert client.get(f"/api/v1/reports/{health}/").status_code == 404
    assert client.get(f"/api/v1/reports/{health}/subject/", {"reason": "ingin tahu saja"}).status_code == 403
    assert client.get("/api/v1/reports/access-log/").status_code == 403


def test_only_the_handling_agency_reads_personal_data_and_each_read_is_logged(users, health):
    for user in ("coordinator", "dinkes", "bpbd", "dpo", "resident"):
        response = client_for(users[user]).get(f"/api/v1/reports/{health}/subject/", {"reason": "tindak lanjut"})
        assert response.status_code == 403, user
    assert PersonalDataAccess.objects.count() == 0
    pkm = client_for(users["pkm"])
    missing_reason = pkm.get(f"/api/v1/reports/{health}/subject/")
    assert missing_reason.status_code == 400 and missing_reason.json()["code"] == "reason_required"
    response = pkm.get(f"/api/v1/reports/{health}/subject/", {"reason": "Jadwal kunjungan rumah"})
    assert response.json() == {"name": "Ibu Siti", "age": 71, "condition": "sesak napas"}
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.reason, log.kind, log.agency.code) == (users["pkm"], "Jadwal kunjungan rumah", "subject",
                                                                "pkm-sungai-durian")
    assert log.accessed_at is not None


def test_the_access_log_is_exported_for_the_dpo_only(users, health):
    client_for(users["pkm"]).get(f"/api/v1/reports/{health}/subject/", {"reason": "Jadwal kunjungan rumah"})
    assert client_for(users["pkm"]).get("/api/v1/reports/access-log/").status_code == 403
    assert client_for(users["coordinator"]).get("/api/v1/reports/access-log/").status_code == 403
    response = client_for(users["dpo"]).get("/api/v1/reports/access-log/", {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["user"] == "staf_pkm" and rows[0]["reason"] == "Jadwal kunjungan rumah"
    assert rows[0]["report_id"] == health
    assert "Ibu Siti" not in response.content.decode()  # the log says who read, not what


def test_coordinator_sees_every_report_for_triage_but_not_personal_data(users, health):
    body = client_for(users["coordinator"]).get(f"/api/v1/reports/{health}/").json()
    assert body["tracking_code"] and "Ibu Siti" not in str(body)


def test_confidential_reporter_is_hidden_even_from_the_handling_agency_view(submit, users):
    report_id = submit(users["resident"], confidential=True).json()["id"]
    body = client_for(users["pupr"]).get(f"/api/v1/reports/{report_id}/").json()
    assert body["reporter"] is None and body["reporter_hidden"] is True
    assert "warga" not in str(body)


def test_field_crew_nearby_needs_an_agency(users, road, desa_point):
    assert client_for(users["resident"]).get("/api/v1/reports/nearby", {"lon": 109.37, "lat": -0.07}).status_code == 403
    assert client_for(None).get("/api/v1/reports/nearby", {"lon": 109.37, "lat": -0.07}).status_code in (401, 403)
