"""Validation, the publication gate, approval, sender limits, quiet hours,
the public outputs and informasi serta-merta from a verified report."""
import datetime
import json

import pytest
from django.core import mail
from django.test import override_settings

from announcements import services
from announcements.delivery import deliveries_run, quiet_until
from announcements.models import Announcement, Delivery, Subscription
from messaging.gateways import simulated_inbox

from .conftest import KEC_SUNGAI_RAYA, SUNGAI_RAYA, WIB, body, client_for

pytestmark = pytest.mark.django_db


def _post(user, data, lang=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}
    return client_for(user).post("/api/v1/announcements/", data, content_type="application/json", **headers)


def _square(lon, lat, d):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                [lon - d, lat + d], [lon - d, lat - d]]]}


@pytest.mark.parametrize("area, code", [
    ({"polygon": {"type": "Polygon", "coordinates": [[[109.40, -0.10], [109.42, -0.12], [109.42, -0.10],
                                                      [109.40, -0.12], [109.40, -0.10]]]}}, "invalid_geometry"),
    ({"polygon": _square(106.8, -6.2, 0.01)}, "outside_regency"),       # Jakarta
    ({"polygon": {"type": "Polygon", "coordinates": [[[109.40 + 0.00001 * i, -0.10 - 0.00001 * (i % 2)]
                                                       for i in range(2500)] + [[109.40, -0.10]]]}},
     "too_many_vertices"),
    ({"polygon": "not json"}, "invalid_geometry"),
    ({"polygon": {"type": "Point", "coordinates": [109.4, -0.1]}}, "invalid_geometry_type"),
    ({"buffer": {"geometry": {"type": "Point", "coordinates": [109.4, -0.1]}, "distance_m": 999999}},
     "invalid_buffer"),
    ({"codes": ["61.12.99.9999"]}, "unknown_area"),
    ({}, "area_required"),
    ({"codes": [SUNGAI_RAYA], "polygon": _square(109.4, -0.1, 0.01)}, "area_required"),
])
def test_bad_areas_answer_a_clear_error_and_change_nothing(speakers, area, code):
    r = _post(speakers["bpbd"], body("warning", area=area))
    assert r.status_code == 400, r.content
    assert r.json()["code"] == code
    assert Announcement.objects.count() == 0


def test_errors_in_english_on_request(speakers):
    r = _post(speakers["bpbd"], body("warning", area={"polygon": _square(106.8, -6.2, 0.01)}), lang="en")
    assert r.json() == {"code": "outside_regency", "message": "The target area lies outside Kubu Raya Regency.",
                        "fields": {"area": ["outside_regency"]}}
    r = _post(speakers["bpbd"], body("warning", area={"polygon": _square(106.8, -6.2, 0.01)}))
    assert r.json()["message"] == "Wilayah sasaran berada di luar Kabupaten Kubu Raya."


@pytest.mark.parametrize("text, what", [
    ("Hubungi Pak Budi di 0812-3456-7890 untuk air tangki.", "phone"),
    ("Info: +62 812 3456 789", "phone"),
    ("Kirim data ke budi.santoso@gmail.com", "email"),
    ("Penerima bantuan NIK 6112010101900001 harap datang.", "nik"),
])
def test_personal_data_is_refused(speakers, text, what):
    r = _post(speakers["desa"], body(body_id=text))
    a = Announcement.objects.get(public_id=r.json()["id"])   # drafts may hold anything ...
    r = client_for(speakers["desa"]).post(f"/api/v1/announcements/{a.public_id}/publish/", {},
                                          content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "personal_data"   # ... publishing is gated
    assert r.json()["fields"]["body_id"] == [f"personal_data:{what}"]
    a.refresh_from_db()
    assert a.status == "draft" and a.messages.count() == 0


def test_ordinary_numbers_pass_the_gate(speakers, clock):
    r = _post(speakers["desa"], body(body_id="Posyandu RT 003 tanggal 12-12-2026 pukul 08.00, 150 balita."))
    a = Announcement.objects.get(public_id=r.json()["id"])
    assert services.announcement_publish(announcement_id=a.id, user=speakers["desa"], now=clock).status == "published"


def test_exempt_information_is_refused_with_the_article(speakers):
    a = _post(speakers["bpbd"], body("warning")).json()
    r = client_for(speakers["bpbd"]).post(f"/api/v1/announcements/{a['id']}/publish/", {"exemption_basis": "17c"},
                                          content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "exempt_information"
    assert "Pasal 17 huruf c" in r.json()["message"]


def test_who_may_speak_for_which_area(speakers):
    other_kecamatan = {"codes": ["61.12.06.2011"]}
    assert _post(speakers["camat"], body(area=other_kecamatan)).status_code == 403
    assert _post(speakers["desa"], body(area={"codes": [KEC_SUNGAI_RAYA]})).status_code == 403
    assert _post(speakers["camat"], body(area={"codes": [KEC_SUNGAI_RAYA]})).status_code == 201
    # A Puskesmas speaks for its working area (three desa), not beyond.
    assert _post(speakers["pkm"], body(area={"codes": ["61.12.01.2002"]})).status_code == 201
    assert _post(speakers["pkm"], body(area={"codes": ["61.12.01.2012"]})).status_code == 403
    assert _post(speakers["warga"], body()).status_code == 403
    assert _post(None, body()).status_code == 401


def test_emergency_needs_bpbd_or_an_agency_head(speakers, clock):
    a = _post(speakers["pupr"], body("emergency", title_id="Jembatan runtuh")).json()
    pk = Announcement.objects.get(public_id=a["id"]).id
    assert services.announcement_publish(announcement_id=pk, user=speakers["pupr"], now=clock).status == "pending"
    r = client_for(speakers["pupr"]).post(f"/api/v1/announcements/{a['id']}/approve/", {},
                                          content_type="application/json")
    assert r.status_code == 403                       # not the author
    # Pending drafts are not public.
    assert client_for(None).get(f"/api/v1/announcements/{a['id']}/").status_code == 404
    approved = services.announcement_approve(announcement_id=pk, user=speakers["pupr_head"], now=clock)
    assert approved.status == "published" and approved.approved_by == speakers["pupr_head"]
    # BPBD publishes an emergency at once.
    b = _post(speakers["bpbd"], body("emergency")).json()
    pk = Announcement.objects.get(public_id=b["id"]).id
    assert services.announcement_publish(announcement_id=pk, user=speakers["bpbd"], now=clock).status == "published"


@override_settings(ANNOUNCEMENTS_SENDER_RATE=(2, 3600))
def test_rate_limit_per_sender_but_not_for_emergencies(speakers, clock):
    def publish(kind, at):
        a = _post(speakers["bpbd"], body(kind)).json()
        pk = Announcement.objects.get(public_id=a["id"]).id
        return services.announcement_publish(announcement_id=pk, user=speakers["bpbd"], now=at)

    publish("information", clock)
    publish("warning", clock + datetime.timedelta(minutes=5))
    from common.api_errors import ApiError
    with pytest.raises(ApiError) as exc:
        publish("information", clock + datetime.timedelta(minutes=10))
    assert exc.value.code == "sender_rate_limited" and exc.value.status_code == 429
    assert publish("emergency", clock + datetime.timedelta(minutes=11)).status == "published"
    assert publish("information", clock + datetime.timedelta(minutes=70)).status == "published"


def test_quiet_hours_hold_all_but_emergencies_and_email(speakers, subscribe, clock):
    sms = subscribe(channel="sms", address="0812-1111-2222", target="area", area_code=SUNGAI_RAYA)
    mail_sub = subscribe(target="area", area_code=SUNGAI_RAYA)
    night = datetime.datetime(2026, 12, 7, 22, 30, tzinfo=WIB)
    assert quiet_until(night) == datetime.datetime(2026, 12, 8, 6, 0, tzinfo=WIB)
    assert quiet_until(clock) is None
    info = Announcement.objects.get(public_id=_post(speakers["desa"], body(now=night)).json()["id"])
    services.announcement_publish(announcement_id=info.id, user=speakers["desa"], now=night)
    counts = deliveries_run(now=night)
    assert counts == {"sent": 1, "deferred": 1, "failed": 0, "skipped": 0, "retry": 0}
    assert not simulated_inbox("+6281211112222").exists() and len(mail.outbox) == 1
    emergency = Announcement.objects.get(public_id=_post(speakers["bpbd"], body("emergency", now=night,
                                                                                    title_id="Banjir bandang")).json()["id"])
    services.announcement_publish(announcement_id=emergency.id, user=speakers["bpbd"], now=night)
    assert deliveries_run(now=night)["sent"] == 2
    texts = [m.body for m in simulated_inbox("+6281211112222")]
    assert len(texts) == 1 and "DARURAT" in texts[0] and "/pengumuman/berhenti/" in texts[0]
    # At 06:00 WIB the held message goes out.
    assert deliveries_run(now=datetime.datetime(2026, 12, 8, 6, 0, tzinfo=WIB))["sent"] == 1
    assert simulated_inbox("+6281211112222").count() == 2
    assert Delivery.objects.filter(status="sent").count() == 4
    assert {sms["token"], mail_sub["token"]} == {str(t) for t in Subscription.objects.values_list("token", flat=True)}


def test_failed_sends_are_retried_with_backoff_then_marked(speakers, subscribe, clock, monkeypatch):
    subscribe(channel="whatsapp", address="081233334444", target="area", area_code=SUNGAI_RAYA)
    a = Announcement.objects.get(public_id=_post(speakers["desa"], body()).json()["id"])
    services.announcement_publish(announcement_id=a.id, user=speakers["desa"], now=clock)
    from announcements import delivery
    from messaging import gateways

    def down(*args, **kwargs):
        raise gateways.GatewayError("provider down")
    monkeypatch.setattr(delivery, "send_simulated_batch", down)
    assert deliveries_run(now=clock)["retry"] == 1
    assert deliveries_run(now=clock)["retry"] == 0            # not due yet (backoff)
    row = Delivery.objects.get()
    assert row.status == "pending" and row.attempts == 1 and "provider down" in row.last_error
    monkeypatch.undo()
    assert deliveries_run(now=clock + datetime.timedelta(minutes=2))["sent"] == 1
    assert simulated_inbox("+6281233334444").count() == 1


def test_a_real_provider_gets_one_call_per_message_and_failures_retry(speakers, subscribe, clock, settings):
    """With a provider configured (not the simulator), each message is one
    messaging.gateways.send; a provider that does not answer leaves the row
    pending for a retry."""
    settings.MESSAGING_GATEWAYS = {"sms": "messaging.gateways.HttpGateway"}
    settings.MESSAGING_HTTP_URL = "http://127.0.0.1:9/unreachable"
    settings.MESSAGING_HTTP_TIMEOUT = 2
    subscribe(channel="sms", address="081255556666", target="area", area_code=SUNGAI_RAYA)
    a = Announcement.objects.get(public_id=_post(speakers["desa"], body()).json()["id"])
    services.announcement_publish(announcement_id=a.id, user=speakers["desa"], now=clock)
    assert deliveries_run(now=clock)["retry"] == 1
    row = Delivery.objects.get()
    assert row.status == "pending" and "gateway" in row.last_error


def test_public_outputs(speakers, subscribe):
    """Pages, feeds, the JSON API and the OGC collection show published, active
    announcements (relative to the request time) and never drafts."""
    from django.utils import timezone
    now = timezone.now()
    live = _post(speakers["desa"], body(title_id="Jadwal posyandu Desember", now=now)).json()
    services.announcement_publish(announcement_id=Announcement.objects.get(public_id=live["id"]).id,
                                  user=speakers["desa"], now=now)
    draft = _post(speakers["desa"], body(title_id="Draf rahasia belum terbit", now=now)).json()
    anon = client_for(None)
    for url in ("/pengumuman/", f"/pengumuman/desa/{SUNGAI_RAYA}/", f"/pengumuman/kecamatan/{KEC_SUNGAI_RAYA}/",
                f"/pengumuman/desa/{SUNGAI_RAYA}.atom", f"/pengumuman/kecamatan/{KEC_SUNGAI_RAYA}.atom",
                "/pengumuman/feed.atom?lon=109.3724&lat=-0.0715&radius_m=1000", f"/pengumuman/{live['id']}/",
                "/api/v1/announcements/", f"/api/v1/announcements/?desa={SUNGAI_RAYA}",
                "/ogc/collections/announcements/items"):
        r = anon.get(url)
        assert r.status_code == 200, url
        text = r.content.decode()
        assert "Jadwal posyandu Desember" in text, url
        assert "Draf rahasia" not in text and "operator_sr" not in text, url
    assert "Jadwal posyandu" not in anon.get("/pengumuman/desa/61.12.06.2011/").content.decode()
    assert "Jadwal posyandu" not in anon.get("/pengumuman/feed.atom?lon=109.60&lat=-0.80&radius_m=100").content.decode()
    assert anon.get(f"/pengumuman/{draft['id']}/").status_code == 404
    r = anon.get("/api/v1/announcements/?lon=abc&lat=1")
    assert r.status_code == 400 and r.json()["code"] == "invalid_point"
    items = anon.get("/ogc/collections/announcements/items").json()
    assert items["features"][0]["geometry"]["type"] == "MultiPolygon"
    # The resident's own "for my place" list.
    subscribe(target="point", lon=109.3724, lat=-0.0715, radius_m=500)
    mine = client_for(speakers["warga"]).get("/api/v1/announcements/mine/").json()
    assert [f["properties"]["title"] for f in mine["features"]] == ["Jadwal posyandu Desember"]


@pytest.mark.parametrize("data, code", [
    ({"channel": "pigeon", "target": "area", "area_code": SUNGAI_RAYA}, "invalid_channel"),
    ({"channel": "email", "target": "area", "area_code": "99"}, "unknown_area"),
    ({"channel": "email", "target": "point", "lon": 109.4, "lat": -0.1, "radius_m": 999999}, "invalid_radius"),
    ({"channel": "email", "target": "point", "lon": "x", "lat": -0.1}, "invalid_point"),
    ({"channel": "sms", "target": "area", "area_code": SUNGAI_RAYA, "address": "12"}, "invalid_phone"),
    ({"channel": "webpush", "target": "area", "area_code": SUNGAI_RAYA}, "device_required"),
    ({"channel": "webpush", "target": "area", "area_code": SUNGAI_RAYA, "push": {"endpoint": "ftp://x"}},
     "invalid_push"),
])
def test_bad_subscriptions_answer_clear_errors(speakers, data, code):
    r = client_for(speakers["warga"]).post("/api/v1/subscriptions/", data, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == code, r.content
    assert Subscription.objects.count() == 0


def test_point_outside_the_regency_and_anonymous_email_are_refused(speakers):
    r = client_for(speakers["warga"]).post("/api/v1/subscriptions/", {"channel": "email", "target": "point",
                                                                      "lon": 106.8, "lat": -6.2},
                                           content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "outside_coverage"
    r = client_for(None).post("/api/v1/subscriptions/", {"channel": "email", "target": "area",
                                                         "area_code": SUNGAI_RAYA}, content_type="application/json")
    assert r.status_code == 401


def test_unsubscribe_page(speakers, subscribe):
    sub = subscribe(target="area", area_code=SUNGAI_RAYA)
    c = client_for(None)
    assert c.get(sub["unsubscribe"]).status_code == 200
    assert Subscription.objects.get(token=sub["token"]).active
    assert "sudah dihentikan" in c.post(sub["unsubscribe"]).content.decode()
    assert not Subscription.objects.get(token=sub["token"]).active


def test_odd_json_shapes_answer_400_not_500(speakers):
    c = client_for(speakers["bpbd"])
    assert c.post("/api/v1/announcements/", body(area="61.12.01.2001"), content_type="application/json").json()["code"] \
        == "area_required"
    assert c.post("/api/v1/announcements/", [1, 2], content_type="application/json").status_code == 400
    assert c.post("/api/v1/announcements/", body(area={"buffer": {"geometry": None, "distance_m": 50}}),
                  content_type="application/json").json()["code"] == "invalid_geometry"
    a = c.post("/api/v1/announcements/", body(), content_type="application/json").json()
    assert c.patch(f"/api/v1/announcements/{a['id']}/", [1], content_type="application/json").status_code == 400
    w = client_for(speakers["warga"])
    for data in ({"channel": "webpush", "target": "area", "area_code": SUNGAI_RAYA, "push": [1]},
                 {"channel": "email", "target": "area", "area_code": 12345},
                 {"channel": "sms", "target": "area", "area_code": SUNGAI_RAYA, "address": ["0812"]},
                 {"channel": "email", "target": "report", "report": {"x": 1}}):
        r = w.post("/api/v1/subscriptions/", data, content_type="application/json")
        assert r.status_code == 400 and "code" in r.json(), (data, r.content)
    assert Subscription.objects.count() == 0


def test_validity_times_are_kept_in_utc_whatever_offset_python_reads():
    # "+18:44" parses in Python; PostgreSQL keeps offsets only within +-15:59.
    from announcements.services import _parse_time
    from common.api_errors import ApiError
    assert _parse_time("2026-12-01T02:00:00+18:44", "valid_from").isoformat() == "2026-11-30T07:16:00+00:00"
    with pytest.raises(ApiError) as error:
        _parse_time("0001-01-01T00:00:00+05:00", "valid_from")
    assert error.value.code == "invalid_datetime"
