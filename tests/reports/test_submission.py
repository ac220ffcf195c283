"""Submission: idempotency, lookup, photos (EXIF stripped), bad input."""
import io
import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from PIL import Image

from reports.models import Report, ReportEvent, ReportPhoto, ReportSubject
from reports.services import categories_seed, report_submit

from .conftest import SUNGAI_RAYA, client_for, jpeg_bytes


def test_submission_assigns_desa_kecamatan_agency_and_deadline(submit, users):
    response = submit(users["resident"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["desa"]["code"] == SUNGAI_RAYA
    assert body["kecamatan"]["code"] == "61.12.01"
    assert body["agency"]["code"] == "pupr"
    assert body["status"] == "received"
    assert body["tracking_code"].startswith("KR-")
    report = Report.objects.get(id=body["id"])
    assert report.reporter == users["resident"]
    assert report.events.get().kind == "created"


def test_retry_with_the_same_id_returns_the_original_and_creates_nothing(submit, users):
    report_id = uuid.uuid4()
    first = submit(users["resident"], report_id=report_id)
    second = submit(users["resident"], report_id=report_id, description="dikirim ulang")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["tracking_code"] == first.json()["tracking_code"]
    assert Report.objects.filter(id=report_id).count() == 1
    assert ReportEvent.objects.filter(report_id=report_id).count() == 1
    assert ReportPhoto.objects.filter(report_id=report_id).count() == 1
    assert Report.objects.get(id=report_id).description == "Jalan berlubang besar"
    # The probe also answers when the retry names a category that is not
    # (or no longer) active: the original, not a validation error.
    third = submit(users["resident"], report_id=report_id, category="tidak-ada", photo=None)
    assert third.status_code == 200 and third.json()["tracking_code"] == first.json()["tracking_code"]
    unknown = submit(users["resident"], category="tidak-ada", photo=None)
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_category"


def test_a_retry_returns_the_original_only_to_the_same_caller(submit, users, client):
    """Issue 16: a client id is not a secret. Another account, another device
    (or none) replaying the id gets 409 and no data; the owner gets the
    original."""
    signed = uuid.uuid4()
    first = submit(users["resident"], report_id=signed).json()
    replay = submit(users["resident2"], report_id=signed)
    assert replay.status_code == 409 and replay.json()["code"] == "id_conflict"
    assert first["tracking_code"] not in replay.content.decode() and str(signed) not in replay.content.decode()
    assert submit(None, report_id=signed, photo=None).status_code == 409
    assert submit(users["resident"], report_id=signed).json()["tracking_code"] == first["tracking_code"]
    anonymous = uuid.uuid4()
    first = submit(None, report_id=anonymous, device_secret="device-a").json()
    for who, secret in ((None, "device-b"), (None, ""), (users["resident"], "device-b")):
        replay = submit(who, report_id=anonymous, device_secret=secret)
        assert replay.status_code == 409, (who, secret)
        assert first["tracking_code"] not in replay.content.decode()
    again = submit(None, report_id=anonymous, device_secret="device-a")
    assert again.status_code == 200 and again.json()["tracking_code"] == first["tracking_code"]
    assert Report.objects.filter(id__in=[signed, anonymous]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_exactly_one_report(kubu_raya, desa_point):
    categories_seed()
    lon, lat = desa_point(SUNGAI_RAYA)
    report_id = uuid.uuid4()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(report_submit(report_id=report_id, category_code="flood", lon=lon, lat=lat,
                                         description="banjir", device_secret="one-device").created)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert Report.objects.filter(id=report_id).count() == 1
    assert ReportEvent.objects.filter(report_id=report_id).count() == 1


def test_exif_gps_is_removed_from_the_stored_photo(submit, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {1: "S", 2: (0.0, 4.0, 17.0), 3: "E", 4: (109.0, 22.0, 20.0)}  # GPS IFD
    original = jpeg_bytes(exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture really carries GPS
    response = submit(users["resident"], photo=original)
    assert response.status_code == 201, response.content
    photo = ReportPhoto.objects.get(report_id=response.json()["id"])
    stored = photo.image.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}
        assert not image.getexif().get_ifd(0x8825)
        assert "exif" not in image.info
    assert b"Exif" not in stored and b"KameraRahasia" not in stored


def _nothing_written(before):
    assert Report.objects.count() == before
    assert ReportSubject.objects.count() == 0


@pytest.mark.parametrize("overrides,code", [
    ({"category": ""}, "invalid"),
    ({"category": "ufo-sighting"}, "unknown_category"),
    ({"point": (108.30, -0.05)}, "outside_coverage"),           # in the sea west of Kubu Raya
    ({"point": (112.0, 1.0)}, "outside_coverage"),              # Kapuas Hulu, far inland
    ({"point": (109.37, 0.07)}, "outside_coverage"),            # sign error: north of Pontianak
    ({"description": "x" * 4001}, "description_too_long"),
    ({"photo": b"%PDF-1.4 bukan gambar"}, "photo_type"),
    ({"photo": None}, "photo_required"),                        # road damage needs a photo
    ({"lon": "abc"}, "invalid"),
    ({"report_id": "bukan-uuid"}, "invalid"),
])
def test_bad_input_gets_a_clear_error_and_writes_nothing(submit, users, overrides, code):
    before = Report.objects.count()
    response = submit(users["resident"], subject_name="Budi", **overrides)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    _nothing_written(before)


def test_photo_too_large_is_refused(submit, users):
    before = Report.objects.count()
    with override_settings(REPORTS_PHOTO_MAX_BYTES=1000):
        response = submit(users["resident"], photo=jpeg_bytes(size=(400, 400)) + b"\0" * 2000)
    assert response.status_code == 400 and response.json()["code"] == "photo_too_large"
    _nothing_written(before)


def test_decompression_bomb_is_refused_without_decoding(submit, users):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, format="PNG")  # 144 Mpx in a small file
    assert len(bomb.getvalue()) < 1_000_000
    response = submit(users["resident"], photo=bomb.getvalue())
    assert response.status_code == 400 and response.json()["code"] == "photo_too_large"


def test_subject_data_is_stored_apart_from_the_report(submit, users):
    response = submit(users["resident"], category="health-visit", photo=None, description="Perlu kunjungan",
                      subject_name="Ibu Siti", subject_age=71, subject_condition="sesak napas")
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    assert report.subject.name == "Ibu Siti" and report.subject.age == 71
    assert response.json()["agency"]["code"] == "pkm-sungai-durian"
    assert "Ibu Siti" not in response.content.decode()


def test_anonymous_submission_records_no_reporter(submit, users):
    response = submit(users["resident"], anonymous=True)
    assert Report.objects.get(id=response.json()["id"]).reporter is None


def test_token_authentication(submit, users, client):
    token = client.post("/api/v1/auth/token/", {"username": "warga", "password": "rahasia-sekali-123"}).json()["token"]
    response = submit(None)
    assert response.status_code == 201
    mine = client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {token}")
    assert mine.status_code == 200 and mine.json() == []


def test_a_submission_runs_few_queries_before_its_commit(submit, users, django_capture_on_commit_callbacks):
    """The request path: the category with the idempotency probe, the lookup
    (edition, covering parts, areas in one prepared statement), routing with
    service areas ranked in one query, the duplicate search returning whole
    rows, then one transaction of one statement inserting the rows: event,
    routing decision, the agency's notification (an outbox row) and the
    report. Tile invalidation and the outbox's kick run after the commit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    submit(users["resident2"], photo=None, category="flood")  # warm the session
    with django_capture_on_commit_callbacks(execute=False) as callbacks, \
            CaptureQueriesContext(connection) as queries:
        response = submit(None, photo=None, category="flood")
    assert response.status_code == 201, response.content
    # The test runs inside a transaction, so atomic blocks are savepoints here.
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The rows in one statement, the report last (its statement-level
    # tile-cell trigger runs once, at the end of it); the notification is in
    # the same statement, so the report cannot be stored without it.
    (insert,) = [s for s in statements if "INSERT INTO" in s]
    assert re.findall(r'INSERT INTO "(\w+)"', insert) == ["reports_reportevent", "reports_routingdecision",
                                                          "outbox_message", "reports_report"]
    assert len(statements) <= 5, "\n".join(statements)
    assert sum("geo_areapart" in s for s in statements) == 1  # the lookup, once
    assert len(callbacks) >= 2  # report_changed and the agency notification, after the commit


# --- The lean path of POST /api/v1/reports/ (reports.apis) ---------------------

@pytest.fixture
def drf_dispatches(count_drf_dispatches):
    """Submissions that reached DRF's dispatch (the lean path skips it)."""
    from reports.apis import ReportListCreateApi
    return count_drf_dispatches(ReportListCreateApi)


def _post_json(client, body, query="", **headers):
    import json
    return client.post(f"/api/v1/reports/{query}", json.dumps(body), content_type="application/json", **headers)


def _comparable(response) -> tuple:
    """Status, headers and body with what differs between two submissions
    (ids, tracking codes, times) masked."""
    headers = {k: v for k, v in response.headers.items() if k not in ("X-Request-ID", "Content-Length")}
    body = response.json()
    if "tracking_code" in body:
        body = {**body, "id": "<id>", "tracking_code": "<code>", "created_at": "<t>"}
    return response.status_code, headers, body


def test_lean_submission_answers_as_drf(client, users, desa_point, drf_dispatches):
    """The same bodies through the lean path and through DRF (?format=json):
    the same status, headers and receipt, errors included, the same rows."""
    lon, lat = desa_point(SUNGAI_RAYA)
    bodies = [
        {"category": "flood", "lon": lon, "lat": lat, "description": "  Banjir setinggi lutut  "},
        {"category": "street-light", "lon": lon, "lat": lat, "accuracy_m": 12, "confidential": True,
         "channel": "web"},
        {"category": "health-visit", "lon": lon, "lat": lat, "anonymous": True},
        {"category": "ufo-sighting", "lon": lon, "lat": lat},
        {"category": "flood", "lon": 108.30, "lat": -0.05},
        {"category": "flood", "lon": lon, "lat": lat, "description": "x" * 4001},
        {"category": "road-damage", "lon": lon, "lat": lat},                  # a photo is required
    ]
    fields = ["category_id", "desa_id", "agency_id", "description", "confidential", "anonymous", "channel",
              "accuracy_m", "reporter_id", "deadline"]
    codes = set()
    for body in bodies:
        lean = _post_json(client, {"id": str(uuid.uuid4()), **body})
        assert drf_dispatches == []
        rows = {}
        if lean.status_code == 201:
            # Out of the way, or the second would list it as a duplicate.
            rows["lean"] = Report.objects.values(*fields).get(id=lean.json()["id"])
            Report.objects.filter(id=lean.json()["id"]).delete()
        drf = _post_json(client, {"id": str(uuid.uuid4()), **body}, query="?format=json")
        assert len(drf_dispatches) == 1
        drf_dispatches.clear()
        assert _comparable(lean) == _comparable(drf), body
        codes.add(lean.json().get("code", lean.status_code))
        if lean.status_code == 201:
            assert rows["lean"] == Report.objects.values(*fields).get(id=drf.json()["id"])
    assert codes == {201, "unknown_category", "outside_coverage", "description_too_long", "photo_required"}
    # A retry of a lean submission answers the original from either path
    # (to the same device: its secret).
    report_id = str(uuid.uuid4())
    first = _post_json(client, {"id": report_id, **bodies[0], "device_secret": "same-device"})
    again = [_post_json(client, {"id": report_id, **bodies[0], "device_secret": "same-device"}, query=query)
             for query in ("", "?format=json")]
    assert again[0].status_code == again[1].status_code == 200 and again[0].content == again[1].content
    assert again[0].json()["tracking_code"] == first.json()["tracking_code"]
    assert Report.objects.filter(id=report_id).count() == 1
    # English on request, from either path.
    lean = _post_json(client, {"id": str(uuid.uuid4()), **bodies[4]}, HTTP_ACCEPT_LANGUAGE="en")
    drf = _post_json(client, {"id": str(uuid.uuid4()), **bodies[4]}, query="?format=json",
                     HTTP_ACCEPT_LANGUAGE="en")
    assert _comparable(lean) == _comparable(drf) and lean["Content-Language"] == "en"


@pytest.mark.parametrize("change", [
    lambda lon, lat: {"lon": str(lon)},                 # a string: the validator converts it
    lambda lon, lat: {"accuracy_m": "12"},
    lambda lon, lat: {"confidential": "true"},
    lambda lon, lat: {"lat": True},                     # 1.0: outside the coverage
    lambda lon, lat: {"id": 12345 + int(lon * 1000) % 2},  # an integer id: UUIDField reads it
    lambda lon, lat: {"category": " flood"},            # trimmed
    lambda lon, lat: {"subject_name": "Budi", "subject_age": "71", "on_behalf_of_rt": ""},
])
def test_the_lean_path_reads_whatever_the_validator_accepts_as_drf_does(client, users, desa_point, drf_dispatches,
                                                                          change):
    """One validator (ReportSubmitInput) for both paths: what it converts or
    accepts, the lean path answers, alike to DRF."""
    lon, lat = desa_point(SUNGAI_RAYA)
    answers = []
    for n, query in enumerate(("", "?format=json")):
        body = {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat, **change(lon, lat)}
        if isinstance(body["id"], int):
            body["id"] += 2 * n  # another report
        answers.append(_post_json(client, body, query=query))
        assert len(drf_dispatches) == n
        if answers[-1].status_code == 201:
            Report.objects.filter(id=answers[-1].json()["id"]).delete()  # or the second lists it as a duplicate
    lean, drf = answers
    assert lean.status_code in (201, 400), lean.content
    assert _comparable(lean) == _comparable(drf), body


@pytest.mark.parametrize("change", [
    {"description": None},
    {"description": "lone \ud800 surrogate"},
    {"channel": "import"},
    {"lat": "-0,05"},
    {"photo": "not-a-file"},
])
def test_submissions_the_validator_refuses_are_answered_by_drf(client, users, desa_point, drf_dispatches, change):
    """The lean path answers no error of the validator's: DRF does, after its
    throttles, with the same serializer's messages."""
    lon, lat = desa_point(SUNGAI_RAYA)
    response = _post_json(client, {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat, **change})
    assert len(drf_dispatches) == 1
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and list(response.json()["fields"]) == list(change)


def test_a_body_drfs_parser_refuses_is_answered_by_drf(client, users, desa_point, drf_dispatches):
    lon, lat = desa_point(SUNGAI_RAYA)
    response = _post_json(client, {"id": str(uuid.uuid4()), "category": "flood", "lon": 1e400, "lat": lat})
    assert len(drf_dispatches) == 1 and response.status_code == 400  # Infinity is not JSON


def test_signed_in_token_form_and_html_submissions_go_through_drf(client, users, desa_point, drf_dispatches):
    lon, lat = desa_point(SUNGAI_RAYA)
    body = {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat}
    assert _post_json(client_for(users["resident"]), body).status_code == 201       # session
    assert _post_json(client, {**body, "id": str(uuid.uuid4())}, HTTP_AUTHORIZATION="Token nope").status_code == 401
    assert client.post("/api/v1/reports/", {**body, "id": str(uuid.uuid4())}).status_code == 201   # a form
    assert _post_json(client, {**body, "id": str(uuid.uuid4())}, HTTP_ACCEPT="text/html").status_code == 201
    assert len(drf_dispatches) == 4
    assert Report.objects.get(id=body["id"]).reporter == users["resident"]


def test_lean_submission_keeps_the_per_ip_throttle_and_counts_once(client, users, desa_point, monkeypatch,
                                                                  drf_dispatches):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "report_submit", "2/min")
    cache.clear()
    lon, lat = desa_point(SUNGAI_RAYA)
    try:
        answers = [_post_json(client, {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat},
                              REMOTE_ADDR="198.51.100.20") for _ in range(3)]
        assert [r.status_code for r in answers] == [201, 201, 429]
        assert answers[2].json()["code"] == "throttled" and answers[2]["Retry-After"]
        assert len(drf_dispatches) == 1  # the refusal is answered by DRF, from the lean path's count
        assert len(cache.get("throttle_report_submit_ip-198.51.100.20")) == 2
        other = _post_json(client, {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat},
                           REMOTE_ADDR="198.51.100.21")
        assert other.status_code == 201
    finally:
        cache.clear()
