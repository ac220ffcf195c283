"""A resident's reports: the filing phone's secret, codes with or without
dashes, following, updates through the outbox to the simulator, "is it
fixed?", dispute by phone, support by phone."""
import hashlib
import io
import re
import uuid

import pytest
from django.test import Client

from common.outbox.models import OutboxMessage
from messaging.gateways import simulated_inbox
from reports.models import Report
from residents import services
from residents.models import Resident
from residents.selectors import code_normalize
from tests.reports.conftest import SUNGAI_RAYA, client_for, jpeg_bytes

pytestmark = pytest.mark.django_db
SECRET = "s" * 20 + "E" * 23  # 43 characters, as the page makes
OTHER = "o" * 43


def _file(desa_point, *, secret=SECRET, category="road-damage", client=None):
    lon, lat = desa_point(SUNGAI_RAYA)
    photo = io.BytesIO(jpeg_bytes())
    photo.name = "foto.jpg"
    response = (client or Client()).post(
        "/api/v1/reports/", {"id": str(uuid.uuid4()), "category": category, "lon": lon, "lat": lat,
                             "description": "Jalan berlubang dekat masjid", "photo": photo},
        HTTP_X_DEVICE_SECRET=secret)
    assert response.status_code == 201, response.content
    return response.json()


def _move(user, report_id, to, **data):
    response = client_for(user).post(f"/api/v1/reports/{report_id}/transitions/", {"to": to, **data})
    assert response.status_code == 200, response.content
    return response


def _resident(make_user, phone, channel="sms"):
    user = make_user(f"warga{phone[-4:]}", email="")
    Resident.objects.create(user=user, phone=phone, channel=channel, consent_at="2026-12-01T00:00Z")
    return user


@pytest.mark.parametrize("typed", ["KR-7GQ2-M4XZ", "kr7gq2m4xz", "KR 7GQ2 M4XZ", "7gq2-m4xz", " 7GQ2M4XZ "])
def test_codes_are_accepted_with_or_without_dashes(typed):
    assert code_normalize(typed) == "KR-7GQ2-M4XZ"
    assert code_normalize("KR-12") == "KR-12"


def test_tracking_page_redirects_a_code_typed_without_dashes(desa_point, taxonomy):
    receipt = _file(desa_point)
    bare = receipt["tracking_code"].replace("-", "").lower()
    response = Client().get(f"/lacak/{bare}/")
    assert response.status_code == 302 and response["Location"] == f"/lacak/{receipt['tracking_code']}/"
    response = Client().get("/lacak/", {"kode": bare})
    assert response["Location"] == f"/lacak/{receipt['tracking_code']}/"


def test_the_filing_phone_sees_its_photos_confirms_and_disputes(desa_point, users, django_capture_on_commit_callbacks):
    receipt = _file(desa_point)
    code, report_id = receipt["tracking_code"], receipt["id"]
    # the filing phone is remembered once, in the report's one device-secret store
    assert Report.objects.get(id=report_id).device_secret_hash == hashlib.sha256(SECRET.encode()).hexdigest()
    # another phone is refused, the filing phone gets its description and photo
    other = Client().post(f"/lacak/{code}/pelapor.json", {"device_secret": OTHER}, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert other.status_code == 403 and other.json()["code"] == "not_reporter"
    assert other.json()["message"] == "Only the reporter can see this."
    own = Client().post(f"/lacak/{code}/pelapor.json", {"device_secret": SECRET}, content_type="application/json")
    body = own.json()
    assert body["description"] == "Jalan berlubang dekat masjid" and len(body["photos"]) == 1
    assert Client().get(body["photos"][0]["url"]).status_code == 200
    assert Client().get(body["photos"][0]["url"][:-3] + "xx/").status_code == 404  # a forged link

    _move(users["pupr"], report_id, "dispatched")
    photo = io.BytesIO(jpeg_bytes())
    photo.name = "bukti.jpg"
    _move(users["pupr_crew"], report_id, "resolved", note="Sudah ditambal", photo=photo)
    body = Client().post(f"/lacak/{code}/pelapor.json", {"device_secret": SECRET},
                         content_type="application/json").json()
    assert body["can_dispute"] and len(body["evidence"]) == 1
    # another phone cannot dispute; nothing changes
    response = Client().post(f"/lacak/{code}/sanggah/", {"note": "belum", "device_secret": OTHER})
    assert response.status_code == 403
    assert Report.objects.get(id=report_id).status == "resolved"
    response = Client().post(f"/lacak/{code}/konfirmasi/", {"device_secret": SECRET})
    assert response.status_code == 302
    assert "Pelapor mengonfirmasi" in Client().get(f"/lacak/{code}/").content.decode()
    response = Client().post(f"/lacak/{code}/sanggah/", {"note": "Lubangnya muncul lagi", "device_secret": SECRET})
    assert response.status_code == 302
    report = Report.objects.get(id=report_id)
    assert report.status == "in_progress"
    assert report.events.filter(kind="dispute").count() == 1
    assert "Pelapor mengonfirmasi" not in Client().get(f"/lacak/{code}/").content.decode()


def test_followers_and_the_reporter_get_each_status_change_once(desa_point, users, make_user,
                                                                django_capture_on_commit_callbacks):
    reporter = _resident(make_user, "+6281200000010", "whatsapp")
    follower = _resident(make_user, "+6281200000011", "sms")
    receipt = _file(desa_point, client=client_for(reporter))
    code, report_id = receipt["tracking_code"], receipt["id"]
    response = client_for(follower).post(f"/lacak/{code}/ikuti/")
    assert response.status_code == 302
    response = Client().post(f"/lacak/{code}/ikuti/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    with django_capture_on_commit_callbacks(execute=True):
        _move(users["pupr"], report_id, "dispatched")
    assert OutboxMessage.objects.filter(kind="residents.update").count() == 2
    (wa,) = simulated_inbox("+6281200000010", "whatsapp")
    (sms,) = simulated_inbox("+6281200000011", "sms")
    assert code in wa.body and "Didisposisi" in sms.body and f"/lacak/{code}/" in sms.body
    # delivering again (a worker that died after sending) sends nothing new
    services.update_deliver({"event_id": Report.objects.get(id=report_id).events.last().id,
                             "user_id": follower.id}, key=OutboxMessage.objects.filter(
        kind="residents.update").order_by("id").last().key)
    assert simulated_inbox("+6281200000011").count() == 1
    # an unfollowed / erased resident hears nothing more
    services.report_follow(code=code, user=follower, follow=False)
    with django_capture_on_commit_callbacks(execute=True):
        _move(users["pupr_crew"], report_id, "in_progress")
    assert simulated_inbox("+6281200000011").count() == 1
    assert simulated_inbox("+6281200000010").count() == 2
    assert re.search(r"Diproses", simulated_inbox("+6281200000010").last().body)


def test_a_refused_change_sends_nothing(desa_point, users, make_user, django_capture_on_commit_callbacks):
    reporter = _resident(make_user, "+6281200000012")
    receipt = _file(desa_point, client=client_for(reporter))
    with django_capture_on_commit_callbacks(execute=True):
        bad = client_for(users["pupr"]).post(f"/api/v1/reports/{receipt['id']}/transitions/", {"to": "resolved"})
    assert bad.status_code == 409  # received -> resolved is not a transition
    assert not OutboxMessage.objects.filter(kind="residents.update").exists()
    assert not simulated_inbox("+6281200000012").exists()


def test_support_by_phone_counts_once_and_shows_on_the_tracking_page(desa_point, users):
    receipt = _file(desa_point)
    code = receipt["tracking_code"]
    for secret in (OTHER, OTHER, "p" * 43):
        response = Client().post("/dukung/", {"report": receipt["id"], "device_secret": secret},
                                 content_type="application/json")
        assert response.status_code == 200, response.content
    assert response.json()["supporters_count"] == 2
    response = client_for(users["resident"]).post("/dukung/", {"report": code}, content_type="application/json")
    assert response.json()["supporters_count"] == 3
    assert Report.objects.get(id=receipt["id"]).supporters_count == 3
    page = Client().get(f"/lacak/{code}/").content.decode()
    assert re.search(r'id="supporters">3<', page)
    response = Client().post("/dukung/", {"report": receipt["id"], "device_secret": "short"},
                             content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "device_required"


def test_one_date_format_per_language_on_the_tracking_page(desa_point, taxonomy):
    code = _file(desa_point)["tracking_code"]
    months = {"id": "Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des", "en": "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"}
    for language, names in months.items():
        html = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/lacak/{code}/").content.decode()
        deadline = re.search(r'id="deadline">([^<]+)<', html).group(1)
        assert re.fullmatch(rf"\d{{1,2}} ({names}) \d{{4}}", deadline), (language, deadline)
        stamp = re.search(r"<time [^>]*>([^<]+)</time>", html).group(1)
        assert re.fullmatch(rf"\d{{1,2}} ({names}) \d{{4}} \d{{2}}:\d{{2}} WIB", stamp), (language, stamp)


def test_where_it_goes_is_shown_before_sending(desa_point, taxonomy):
    lon, lat = desa_point(SUNGAI_RAYA)
    body = Client().get("/lapor/tujuan.json", {"category": "road-damage", "lon": lon, "lat": lat}).json()
    assert body["desa"]["code"] == SUNGAI_RAYA and body["agency"]["code"] == "pupr"
    for params, code in (({"category": "road-damage", "lon": "x", "lat": lat}, "invalid"),
                         ({"category": "nope", "lon": lon, "lat": lat}, "unknown_category"),
                         ({"category": "road-damage", "lon": 100.0, "lat": 5.0}, "outside_coverage")):
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/lapor/tujuan.json", params)
        assert response.status_code == 400 and response.json()["code"] == code
        assert response.json()["message"][0].isupper() and "Kategori" not in response.json()["message"]


def test_three_photos_are_kept_and_a_fourth_is_ignored(desa_point, taxonomy):
    lon, lat = desa_point(SUNGAI_RAYA)
    files = {}
    for name in ("photo", "photo_2", "photo_3"):
        upload = io.BytesIO(jpeg_bytes())
        upload.name = f"{name}.jpg"
        files[name] = upload
    response = Client().post("/api/v1/reports/", {"id": str(uuid.uuid4()), "category": "road-damage", "lon": lon,
                                                  "lat": lat, "description": "Tiga foto", **files})
    assert response.status_code == 201, response.content
    assert Report.objects.get(id=response.json()["id"]).photos.count() == 3


def test_throttled_answers_say_how_long_to_wait_in_words(desa_point, taxonomy, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "report_submit": "1/hour"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    # a private cache for the throttle counts (never the shared Redis)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"throttle-{uuid.uuid4()}"}}
    try:
        _file(desa_point)
        lon, lat = desa_point(SUNGAI_RAYA)
        response = Client(HTTP_ACCEPT_LANGUAGE="id").post(
            "/api/v1/reports/", {"id": str(uuid.uuid4()), "category": "street-light", "lon": lon, "lat": lat},
            content_type="application/json")
        assert response.status_code == 429
        assert re.fullmatch(r"Terlalu banyak permintaan dari perangkat ini\. Coba lagi dalam (60|59) menit\.",
                            response.json()["message"]), response.json()
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_answers_sent_again_with_their_client_id_are_applied_once(desa_point, users, make_user):
    """The phone's outbox may send a confirm, dispute or follow made offline
    more than once (a lost answer, a second flush): each client id once."""
    from residents.models import ClientRequest, FixConfirmation, Follow

    receipt = _file(desa_point)
    code, report_id = receipt["tracking_code"], receipt["id"]
    _move(users["pupr"], report_id, "dispatched")
    photo = io.BytesIO(jpeg_bytes())
    photo.name = "bukti.jpg"
    _move(users["pupr_crew"], report_id, "resolved", note="Sudah ditambal", photo=photo)
    confirm = {"device_secret": SECRET, "client_id": str(uuid.uuid4())}
    for _ in range(3):
        response = Client().post(f"/lacak/{code}/konfirmasi/", confirm, HTTP_ACCEPT="application/json")
        assert response.status_code == 200 and response.json() == {"fix_confirmed": True}
    assert FixConfirmation.objects.filter(report_id=report_id).count() == 1
    # the same id from another phone, or for another answer, is refused
    stolen = Client().post(f"/lacak/{code}/konfirmasi/", {**confirm, "device_secret": OTHER},
                           HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert stolen.status_code == 409 and stolen.json() == {
        "code": "id_conflict", "message": "This request id has already been used."}
    bad = Client().post(f"/lacak/{code}/konfirmasi/", {**confirm, "client_id": "nope"},
                        HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    dispute = {"note": "Lubangnya muncul lagi", "device_secret": SECRET, "client_id": str(uuid.uuid4())}
    for _ in range(2):
        response = Client().post(f"/lacak/{code}/sanggah/", dispute, HTTP_ACCEPT="application/json")
        assert response.status_code == 200 and response.json()["status"] == "in_progress", response.content
    report = Report.objects.get(id=report_id)
    assert report.status == "in_progress" and report.events.filter(kind="dispute").count() == 1
    # a new dispute (another id) of a report no longer resolved is refused in words
    again = Client().post(f"/lacak/{code}/sanggah/", {**dispute, "client_id": str(uuid.uuid4())},
                          HTTP_ACCEPT="application/json")
    assert again.status_code in (403, 409) and again.json()["code"] and again.json()["message"]
    # the form without a script (no client id) still works as before
    follower = _resident(make_user, "+6281200000012")
    follow = {"client_id": str(uuid.uuid4())}
    for _ in range(2):
        assert client_for(follower).post(f"/lacak/{code}/ikuti/", follow).status_code == 302
    assert client_for(follower).post(f"/lacak/{code}/ikuti/", {"follow": "0"}).status_code == 302
    # the follow sent again after the unfollow changes nothing: it was applied once
    assert client_for(follower).post(f"/lacak/{code}/ikuti/", follow).status_code == 302
    assert not Follow.objects.filter(user=follower).exists()
    assert ClientRequest.objects.count() == 3
