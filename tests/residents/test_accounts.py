"""Resident accounts: a one-time code by SMS/WhatsApp (simulator) or e-mail,
consent on the first sign-in, limits, and erasure under UU PDP."""
import datetime
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Membership, Role
from common.api_errors import ApiError
from messaging.gateways import simulated_inbox
from messaging.models import SentMessage
from residents import services
from residents.models import Follow, Resident, SignInCode

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.timezone.utc)


def _code_from(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_destinations_are_normalised_and_bad_ones_refused():
    assert services.destination_parse("0812-3456-7890") == ("phone", "+6281234567890")
    assert services.destination_parse("+62 812 3456 7890") == ("phone", "+6281234567890")
    assert services.destination_parse(" Warga@Example.ORG ") == ("email", "warga@example.org")
    for bad in ("", "12", "bukan nomor", "a@", "+1 555"):
        with pytest.raises(ApiError) as exc:
            services.destination_parse(bad)
        assert exc.value.code == "invalid_destination"


def test_sign_up_by_whatsapp_code_then_sign_in_again():
    services.code_request(destination="081234567890", channel="whatsapp", now=NOW)
    (msg,) = simulated_inbox("+6281234567890", "whatsapp")
    code = _code_from(msg.body)
    assert SignInCode.objects.get().code_hash != code  # only the hash is kept
    with pytest.raises(ApiError) as exc:  # first sign-in needs consent
        services.code_verify(destination="081234567890", code=code, now=NOW)
    assert exc.value.code == "consent_required"
    user = services.code_verify(destination="0812 3456 7890", code=code, consent=True, now=NOW)
    resident = Resident.objects.get(user=user)
    assert (resident.phone, resident.channel, resident.email) == ("+6281234567890", "whatsapp", None)
    assert Membership.objects.filter(user=user, role=Role.RESIDENT).exists()
    assert user.email == "" and not user.has_usable_password()
    with pytest.raises(ApiError) as exc:  # a used code is spent
        services.code_verify(destination="081234567890", code=code, now=NOW)
    assert exc.value.code == "code_expired"
    later = NOW + datetime.timedelta(hours=1)
    services.code_request(destination="+6281234567890", channel="sms", now=later)
    code2 = _code_from(simulated_inbox("+6281234567890", "sms").get().body)
    assert services.code_verify(destination="081234567890", code=code2, now=later) == user  # no consent again


def test_sign_up_by_email_uses_django_mail():
    services.code_request(destination="Warga@Example.org", now=NOW)
    assert mail.outbox[-1].to == ["warga@example.org"]
    user = services.code_verify(destination="warga@example.org", code=_code_from(mail.outbox[-1].body),
                                consent=True, now=NOW)
    assert Resident.objects.get(user=user).channel == "email"


def test_wrong_codes_are_counted_and_codes_expire():
    services.code_request(destination="081234567891", now=NOW)
    code = _code_from(simulated_inbox("+6281234567891").get().body)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(ApiError) as exc:
            services.code_verify(destination="081234567891", code=wrong, consent=True, now=NOW)
        assert exc.value.code == "code_wrong" and f"Sisa {left} percobaan" in str(exc.value.message)
    with pytest.raises(ApiError) as exc:  # five wrong tries spend the right code too
        services.code_verify(destination="081234567891", code=code, consent=True, now=NOW)
    assert exc.value.code == "code_expired"
    services.code_request(destination="081234567891", now=NOW + datetime.timedelta(minutes=20))
    code = _code_from(simulated_inbox("+6281234567891").last().body)
    with pytest.raises(ApiError):  # eleven minutes later the code is dead
        services.code_verify(destination="081234567891", code=code, consent=True,
                             now=NOW + datetime.timedelta(minutes=31))
    assert services.codes_purge(now=NOW + datetime.timedelta(minutes=31)) == 2


def test_codes_are_limited_per_destination_with_the_wait_in_words():
    for minute in (0, 1, 2):
        services.code_request(destination="081234567892", now=NOW + datetime.timedelta(minutes=minute))
    with pytest.raises(ApiError) as exc:
        services.code_request(destination="081234567892", now=NOW + datetime.timedelta(minutes=3))
    assert exc.value.status_code == 429
    assert "coba lagi dalam 12 menit" in str(exc.value.message).lower()
    assert exc.value.extra["retry_after"] == 720
    services.code_request(destination="081234567892", now=NOW + datetime.timedelta(minutes=16))


def test_wait_words():
    assert services.wait_words(45) == "45 detik"
    assert services.wait_words(1980) == "33 menit"
    assert services.wait_words(2016) == "34 menit"
    assert services.wait_words(3 * 3600) == "3 jam"


def test_sign_in_pages_and_erasure(taxonomy, submit):
    client = Client()
    response = client.post("/warga/masuk/", {"destination": "bukan", "channel": "sms"})
    assert response.status_code == 400 and "tidak valid" in response.content.decode()
    response = client.post("/warga/masuk/", {"destination": "0812 9999 0001", "channel": "sms",
                                             "next": "/lacak/"})
    assert response.status_code == 302 and response["Location"].startswith("/warga/masuk/kode/")
    code = _code_from(simulated_inbox("+6281299990001", "sms").get().body)
    page = client.get("/warga/masuk/kode/")
    assert 'name="consent"' in page.content.decode()
    response = client.post("/warga/masuk/kode/", {"code": code})  # no consent
    assert response.status_code == 400
    response = client.post("/warga/masuk/kode/", {"code": code, "consent": "1"})
    assert response.status_code == 302 and response["Location"] == "/laporan-saya/"
    user = Resident.objects.get(phone="+6281299990001").user
    filed = submit(user=None)
    assert filed.status_code == 201
    own = submit(user=user)
    assert own.status_code == 201, own.content
    page = client.get("/laporan-saya/").content.decode()
    assert own.json()["tracking_code"] in page
    client.post(f"/lacak/{filed.json()['tracking_code']}/ikuti/")
    assert Follow.objects.filter(user=user).count() == 1
    assert filed.json()["tracking_code"] in client.get("/laporan-saya/").content.decode()
    response = client.post("/laporan-saya/hapus/")
    assert response.status_code == 200 and 'id="erased"' in response.content.decode()
    assert not Resident.objects.filter(phone="+6281299990001").exists()
    assert not SentMessage.objects.filter(to="+6281299990001").exists()
    assert not simulated_inbox("+6281299990001").exists()
    assert not Follow.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert not user.is_active and not user.memberships.filter(role=Role.RESIDENT).exists()
    from reports.models import Report
    mine = Report.objects.get(tracking_code=own.json()["tracking_code"])
    assert mine.reporter_id is None and mine.anonymous  # the report stays, without the person
    assert client.get("/laporan-saya/").status_code == 200  # signed out


def test_json_errors_are_translated_and_change_nothing():
    client = Client()
    response = client.post("/laporan-saya/perangkat.json", data="[1", content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = client.post("/dukung/", data={"report": "KR-XXXX-XXXX"}, content_type="application/json",
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_codes_are_also_limited_per_client_address(settings):
    import uuid as _uuid

    settings.RESIDENTS_CODES_PER_IP = 2
    # a private cache for the counts (never the shared Redis)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"codes-{_uuid.uuid4()}"}}
    client = Client(REMOTE_ADDR="10.9.8.7")
    for n in (1, 2):
        assert client.post("/warga/masuk/", {"destination": f"0812 3456 800{n}"}).status_code == 302
    refused = client.post("/warga/masuk/", {"destination": "0812 3456 8003"})
    assert refused.status_code == 429 and "Coba lagi dalam 60 menit" in refused.content.decode()
    assert not simulated_inbox("+6281234568003").exists()
    assert Client(REMOTE_ADDR="10.9.8.8").post("/warga/masuk/", {"destination": "0812 3456 8003"}).status_code == 302
