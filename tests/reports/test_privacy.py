"""The public never sees P2/P3 content or a reporter's identity in any output
of RT Online: API, tracking view, counts, Open311 (JSON and XML), e-mails
and webhooks."""
import http.server
import json
import threading

import pytest
from django.core import mail

from geo.models import Agency
from reports.models import Open311Key, Report

from .conftest import SUNGAI_RAYA, client_for

SECRETS = ["Siti Rahasiawati", "demam berdarah rahasia", "sesak napas kronis", "warga_rahasia",
           "rahasia@example.org", "Pak Pelapor Tersembunyi"]


class _Capture(http.server.BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        _Capture.bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Capture.bodies = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Capture.bodies
    server.shutdown()


@pytest.fixture
def secret_reports(submit, users, make_user, webhook, django_capture_on_commit_callbacks):
    url, _ = webhook
    Agency.objects.filter(code__in=["pkm-sungai-durian", "disdukcapil", "pupr"]).update(webhook_url=url)
    reporter = make_user("warga_rahasia", email="rahasia@example.org", first_name="Pak Pelapor Tersembunyi")
    ids = {}
    with django_capture_on_commit_callbacks(execute=True):
        ids["p3"] = submit(reporter, category="health-visit", photo=None,
                           description="demam berdarah rahasia di rumah", subject_name="Siti Rahasiawati",
                           subject_age=7, subject_condition="sesak napas kronis").json()["id"]
        ids["p2"] = submit(reporter, category="civil-registry", photo=None,
                           description="KK Siti Rahasiawati salah NIK").json()["id"]
        ids["p0_confidential"] = submit(reporter, confidential=True,
                                        description="Saya Pak Pelapor Tersembunyi, jalan rusak").json()["id"]
        ids["p0"] = submit(reporter, description="Jalan berlubang di depan masjid").json()["id"]
    # Status changes notify the reporter; notes are public for the P3 report too.
    for key, agency_user in (("p3", "pkm"), ("p0_confidential", "pupr")):
        with django_capture_on_commit_callbacks(execute=True):
            client_for(users[agency_user]).post(f"/api/v1/reports/{ids[key]}/transitions/", {
                "to": "dispatched", "note": "Siti Rahasiawati akan dikunjungi", "public": True})
    return ids


def _public_outputs(ids):
    anonymous = client_for(None)
    outputs = {}
    for key, rid in ids.items():
        report = Report.objects.get(id=rid)
        outputs[f"detail {key}"] = anonymous.get(f"/api/v1/reports/{rid}/")
        outputs[f"timeline {key}"] = anonymous.get(f"/api/v1/reports/{rid}/timeline/")
        outputs[f"track {key}"] = anonymous.get(f"/api/v1/reports/track/{report.tracking_code}/")
        for fmt in ("json", "xml"):
            outputs[f"open311 {key} {fmt}"] = anonymous.get(f"/open311/v2/requests/{rid}.{fmt}")
    for fmt in ("json", "xml"):
        outputs[f"open311 list {fmt}"] = anonymous.get(f"/open311/v2/requests.{fmt}")
        outputs[f"open311 services {fmt}"] = anonymous.get(f"/open311/v2/services.{fmt}")
    for group in ("desa", "kecamatan", "category", "status", "month"):
        outputs[f"counts {group}"] = anonymous.get("/api/v1/reports/counts/", {"group_by": group})
    for category in ("health-visit", "civil-registry", "road-damage"):
        outputs[f"candidates {category}"] = anonymous.get(
            "/api/v1/reports/candidates", {"category": category, "lon": 109.3724, "lat": -0.0715})
    outputs["categories"] = anonymous.get("/api/v1/categories/")
    return outputs


def test_no_public_output_carries_restricted_content_or_identity(secret_reports, webhook):
    _, hooks = webhook
    outputs = _public_outputs(secret_reports)
    for name, response in outputs.items():
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked through {name}"
    # Restricted reports exist nowhere as single public records.
    for key in ("p3", "p2"):
        rid = secret_reports[key]
        assert outputs[f"detail {key}"].status_code == 404
        assert outputs[f"timeline {key}"].status_code == 404
        assert outputs[f"open311 {key} json"].status_code == 404
        assert outputs[f"open311 {key} xml"].status_code == 404
        assert rid not in outputs["open311 list json"].content.decode()
        assert rid not in outputs["open311 list xml"].content.decode()
    # The open report is public; a confidential one is not public at all
    # (issue 16: its point is often the reporter's house).
    listed = {r["service_request_id"] for r in outputs["open311 list json"].json()}
    assert secret_reports["p0"] in listed and secret_reports["p0_confidential"] not in listed
    assert "Jalan berlubang di depan masjid" in outputs["open311 list json"].content.decode()
    # The P3 tracking view: status only, no place, no agency, no note text.
    track = outputs["track p3"].json()
    assert "desa" not in track and "agency" not in track
    assert all(e["note"] == "" for e in track["timeline"])
    # Messages that left the service: e-mails and webhooks.
    assert len(mail.outbox) >= 4 and len(hooks) >= 3
    for message in mail.outbox:
        for secret in SECRETS[:3] + ["Pak Pelapor Tersembunyi"]:
            assert secret not in message.subject + message.body, (secret, message.subject)
    for body in hooks:
        for secret in SECRETS:
            assert secret not in body
        assert json.loads(body)["link"].startswith("http")


def test_counts_are_sums_of_rounded_base_cells(submit, users):
    for _ in range(2):
        submit(users["resident"], category="health-visit", photo=None)
    for _ in range(6):
        submit(users["resident"], category="flood", photo=None)
    rows = client_for(None).get("/api/v1/reports/counts/", {"group_by": "category"}).json()
    counts = {r["category"]["code"]: r["count"] for r in rows}
    assert counts == {"health-visit": 0, "flood": 5}  # 2 and 6, rounded to the nearest 5
    # Per desa: the sum of the rounded cells (0 + 5), not of raw counts: "8"
    # minus the 6 public flood points would reveal the 2 health visits.
    desa_rows = client_for(None).get("/api/v1/reports/counts/", {"group_by": "desa"}).json()
    assert desa_rows == [{"desa": {"code": SUNGAI_RAYA, "name": "Sungai Raya"}, "count": 5}]
    # No status split, no live recount.
    status = client_for(None).get("/api/v1/reports/counts/", {"group_by": "desa", "status": "received"})
    assert status.status_code == 400 and status.json()["code"] == "invalid"


def test_violence_reports_are_never_counted_below_kecamatan(submit, users):
    for _ in range(6):
        submit(users["resident"], category="violence", photo=None)
    anonymous = client_for(None)
    assert anonymous.get("/api/v1/reports/counts/", {"group_by": "desa"}).json() == []
    by_kecamatan = anonymous.get("/api/v1/reports/counts/", {"group_by": "kecamatan"}).json()
    assert by_kecamatan == [{"kecamatan": {"code": "61.12.01", "name": "Sungai Raya"}, "count": 5}]


def test_open311_post_refuses_a_restricted_report(taxonomy, desa_point):
    """services.json lists P0 only; a P1-P3 code is refused (400), nothing is
    stored, and nothing of the description reaches a public output."""
    Open311Key.objects.create(name="uji", key="kunci-uji-123")
    lon, lat = desa_point(SUNGAI_RAYA)
    client = client_for(None)
    before = Report.objects.count()
    response = client.post("/open311/v2/requests.json", {
        "api_key": "kunci-uji-123", "service_code": "health-visit", "lat": lat, "long": lon,
        "description": "Siti Rahasiawati sakit", "email": "rahasia@example.org"})
    assert response.status_code == 400, response.content
    assert response.json()[0]["description"].startswith("service_code_unknown: ")
    assert Report.objects.count() == before
    assert "Siti" not in client.get("/open311/v2/requests.xml").content.decode()
