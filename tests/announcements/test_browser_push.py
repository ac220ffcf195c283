"""Browser: on /peta/ a resident follows a place with Web Push (a real
service worker registered by Chromium), an emergency is published, pywebpush
delivers the encrypted push to a local test push service (the test decrypts
it with the browser's keys), and the map shows the announcement.

Headless Chromium has no push service of its own (Chrome's is FCM, out of
reach offline), so PushManager.subscribe is replaced before the page loads by
one that returns a subscription whose endpoint is the local push service and
whose keys the test generated; everything else is the real path."""
import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone
from selenium.webdriver.support.ui import WebDriverWait

from accounts.models import Role
from accounts.services import membership_grant, user_create
from announcements import services
from announcements.models import Subscription
from geo.models import Agency
from tests.portal.conftest import browser, _chromium, console_errors, screenshot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushService:
    """A local push service: stores each POST (headers and encrypted body)."""

    def __init__(self):
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    raw_private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(raw_private)
    settings.WEBPUSH_VAPID_PUBLIC_KEY = b64url(public)
    return public


def test_follow_a_place_on_the_map_receive_the_push_and_see_the_announcement(browser, live_server, kubu_raya,
                                                                            push_service, vapid):
    # The browser's own keys for the subscription (RFC 8291).
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = browser_key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    fake = {"endpoint": push_service.url + "device-1", "keys": {"p256dh": b64url(p256dh), "auth": b64url(auth)}}
    script = ("PushManager.prototype.subscribe = function (opts) { window.__pushOpts = opts; "
              "return Promise.resolve({toJSON: function () { return %s; }}); };" % json.dumps(fake))
    marker = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})
    try:
        browser.get(live_server.url + "/peta/")
        WebDriverWait(browser, 20).until(lambda d: d.execute_script(
            "return document.documentElement.dataset.announcements") == "0")
        browser.execute_script("KR.map.setView([-0.0715, 109.3724], 13)")
        browser.find_element("id", "announcements-follow").click()
        WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.documentElement.dataset.push")
                                         in ("subscribed", "failed"))
        assert browser.execute_script("return document.documentElement.dataset.push") == "subscribed", \
            browser.find_element("id", "announcements-status").text
        # A real service worker, registered under /pengumuman/, asked with our VAPID key.
        scope = browser.execute_async_script(
            "var done = arguments[0]; navigator.serviceWorker.getRegistration('/pengumuman/')"
            ".then(function (r) { done(r ? (r.active || r.installing || r.waiting).scriptURL : null); });")
        assert scope.endswith("/pengumuman/sw.js")
        assert browser.execute_script("return Array.from(new Uint8Array(window.__pushOpts.applicationServerKey))") \
            == list(vapid)
        sub = Subscription.objects.get()
        assert sub.channel == "webpush" and sub.target == "point" and sub.device.endpoint == fake["endpoint"]

        # BPBD publishes an emergency around that place; the outbox sends the push after the commit.
        staff = user_create(username="staf_bpbd", password="rahasia-sekali-123", email="b@example.org")
        membership_grant(user=staff, role=Role.AGENCY_STAFF, agency=Agency.objects.get(code="bpbd"))
        now = timezone.now()
        a = services.announcement_create(user=staff, data={
            "kind": "emergency", "title_id": "Banjir bandang di Sungai Raya", "body_id": "Segera mengungsi ke balai desa.",
            "valid_from": (now - timezone.timedelta(minutes=5)).isoformat(),
            "valid_to": (now + timezone.timedelta(hours=6)).isoformat(),
            "area": {"buffer": {"geometry": {"type": "Point", "coordinates": [109.3724, -0.0715]}, "distance_m": 500}}})
        services.announcement_publish(announcement_id=a.id, user=staff)

        WebDriverWait(browser, 20).until(lambda d: push_service.received)
        push = push_service.received[0]
        assert push["path"] == "/push/device-1"
        assert push["headers"]["content-encoding"] == "aes128gcm"
        assert push["headers"]["authorization"].startswith("vapid t=")
        payload = json.loads(http_ece.decrypt(push["body"], private_key=browser_key, auth_secret=auth,
                                              version="aes128gcm"))
        assert "Banjir bandang di Sungai Raya" in payload["title"] and "DARURAT" in payload["title"]
        assert "/pengumuman/berhenti/" in payload["body"]
        assert sub.deliveries.get().status == "sent"

        browser.execute_script("KR.announcementsReload()")
        WebDriverWait(browser, 20).until(lambda d: d.execute_script(
            "return document.documentElement.dataset.announcements") == "1")
        assert "Banjir bandang di Sungai Raya" in browser.find_element("id", "announcements-list").text
        assert browser.execute_script(
            "var n = 0; KR.map.eachLayer(function (l) { if (l.feature && l.feature.properties.kind === 'emergency') n++; });"
            " return n;") >= 1
        screenshot(browser, "peta-pengumuman")
        assert not [e for e in console_errors(browser) if "favicon" not in e["message"]]
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": marker["identifier"]})
