"""messaging.gateways.send: e-mail through Django's mail, SMS/WhatsApp through
the configured gateway (simulator by default, a real HTTP endpoint here), and
idempotency by (channel, key)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from messaging.gateways import GatewayError, send, simulated_inbox
from messaging.models import SentMessage, SimulatedMessage

pytestmark = pytest.mark.django_db


def test_sms_and_whatsapp_reach_the_simulator_once_per_key():
    assert send("sms", "+6281200000001", "Laporan KR-AAAA-BBBB: selesai", key="k1") is True
    assert send("sms", "+6281200000001", "Laporan KR-AAAA-BBBB: selesai", key="k1") is False
    assert send("whatsapp", "+6281200000001", "Halo", key="k1") is True
    inbox = list(simulated_inbox("+6281200000001"))
    assert [(m.channel, m.body) for m in inbox] == [("sms", "Laporan KR-AAAA-BBBB: selesai"),
                                                   ("whatsapp", "Halo")]
    assert list(simulated_inbox("+6281200000001", "whatsapp")) == inbox[1:]
    assert SentMessage.objects.get(channel="sms", key="k1").gateway == "messaging.gateways.SimulatorGateway"


def test_email_goes_through_django_mail_once_per_key():
    assert send("email", "warga@example.org", "Isi pesan", subject="Kode masuk", key="e1") is True
    assert send("email", "warga@example.org", "Isi pesan", subject="Kode masuk", key="e1") is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["warga@example.org"]
    assert mail.outbox[0].subject == "Kode masuk"
    assert SimulatedMessage.objects.count() == 0


@pytest.mark.parametrize("args", [("fax", "+62812", "x"), ("sms", "", "x"), ("sms", "+62812", "")])
def test_bad_input_is_refused_and_sends_nothing(args):
    with pytest.raises(ValueError):
        send(*args, key="bad")
    with pytest.raises(ValueError):
        send("sms", "+62812", "x", key="")
    assert SentMessage.objects.count() == 0 and SimulatedMessage.objects.count() == 0


class _Provider(BaseHTTPRequestHandler):
    received: list = []
    fail = False

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((body, self.headers.get("Authorization"), self.headers.get("Idempotency-Key")))
        if type(self).fail:
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": f"prov-{len(type(self).received)}"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    _Provider.received, _Provider.fail = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Provider
    server.shutdown()
    server.server_close()


def test_a_real_provider_is_a_configuration_change(settings, provider):
    server, handler = provider
    settings.MESSAGING_GATEWAYS = {"sms": "messaging.gateways.HttpGateway"}
    settings.MESSAGING_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.MESSAGING_HTTP_TOKEN = "t0ken"

    handler.fail = True
    with pytest.raises(GatewayError):
        send("sms", "+6281200000002", "Kode: 123456", key="otp-1")
    assert not SentMessage.objects.exists()  # a failed send is not logged, so a retry sends

    handler.fail = False
    assert send("sms", "+6281200000002", "Kode: 123456", key="otp-1") is True
    assert send("sms", "+6281200000002", "Kode: 123456", key="otp-1") is False
    assert len(handler.received) == 2
    assert handler.received[-1] == ({"channel": "sms", "to": "+6281200000002", "body": "Kode: 123456",
                                     "key": "otp-1"}, "Bearer t0ken", "otp-1")
    assert SentMessage.objects.get(key="otp-1").provider_id == "prov-2"
    # WhatsApp still uses the simulator (not named in the setting)
    send("whatsapp", "+6281200000002", "Halo", key="wa-1")
    assert SimulatedMessage.objects.filter(channel="whatsapp").count() == 1
