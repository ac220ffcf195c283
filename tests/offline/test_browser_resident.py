"""Residents and crews offline in headless Chromium, with the network of the
whole browser cut through the DevTools protocol (the page and its service
worker alike: tests/offline/network.py), on a 360x740 phone screen.

- A resident files a report with a photo offline; it waits on the phone
  through two reloads and arrives exactly once when the network returns.
- Background Sync: with no page of the app open, the service worker sends a
  queued report and a crew's queued action when the network returns (the
  browser's own "sync" event, recorded through the BackgroundService domain).
- Pages seen before open offline with the time they were last updated, and a
  report's kept page never shows a status older than one the phone sent."""
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from offline.models import ClientAction
from reports import services as report_services
from reports.models import Report, ReportPhoto
from residents.selectors import device_reports
from residents.services import device_hash
from tests.portal.conftest import console_errors, screenshot, wait
from tests.reports.conftest import SUNGAI_RAYA, jpeg_bytes

from .network import NetworkSwitch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "offline-test-device-secret-0123456789abcdef"



def _until(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _html(driver, name):
    return driver.execute_script(f"return document.documentElement.dataset.{name} || null")


@pytest.fixture
def phone(browser):
    """The shared Chromium as a 360x740 phone, starting with nothing kept on
    it (no service worker, caches or databases of an earlier test)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    yield browser
    # Leave the app before the test database is emptied: a page still asking
    # the live server (a map's tiles, a background refresh) would race it.
    browser.get("about:blank")
    time.sleep(1)


def _fresh_origin(driver, base: str):
    driver.get(base + "/offline/")
    driver.execute_async_script("""
      var done = arguments[arguments.length - 1];
      localStorage.clear();
      localStorage.setItem('kr-device-secret', arguments[0]);
      var regs = navigator.serviceWorker.getRegistrations().then(function (rs) {
        return Promise.all(rs.map(function (r) { return r.unregister(); })); });
      var gone = caches.keys().then(function (ks) { return Promise.all(ks.map(function (k) { return caches.delete(k); })); });
      var dbs = ['kr-sw', 'kr-crew', 'kr-lapor'].map(function (name) { return new Promise(function (resolve) {
        var r = indexedDB.deleteDatabase(name); r.onsuccess = r.onerror = r.onblocked = function () { resolve(); }; }); });
      Promise.all([regs, gone].concat(dbs)).then(function () { done(); });""", SECRET)


def _controlled(driver, url: str):
    """Open `url` until the service worker controls it.

    The first visit installs the worker, which claims the page when it
    activates. But `_fresh_origin` only marks the earlier test's registration
    for removal: the browser may revive it when the page registers again, and
    a worker that is already active does not activate (nor claim) a second
    time. A page loaded after the worker is active is controlled from its
    start, so load it again until it is."""
    for _ in range(4):
        driver.get(url)
        driver.execute_async_script(
            "var done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then(function () { done(); });")
        if _until(lambda: driver.execute_script("return !!navigator.serviceWorker.controller"), 10):
            driver.get(url)
            return
    raise AssertionError(f"no service worker controls {url} after four loads")


def _sign_in(driver, base: str, user):
    client = Client()
    client.force_login(user)
    driver.get(base + "/offline/")
    driver.delete_all_cookies()
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME,
                       "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"})


def _crew_queue_at_rest(driver) -> list[dict]:
    """The crew's queue as IndexedDB holds it (what a copy of the phone's
    storage would show), and whether the key could be read out."""
    return driver.execute_async_script("""
      var done = arguments[arguments.length - 1], open = indexedDB.open('kr-crew');
      open.onsuccess = function () {
        var t = open.result.transaction(['queue', 'kv']), q = t.objectStore('queue').getAll(),
            k = t.objectStore('kv').get('key');
        t.oncomplete = function () {
          done(q.result.map(function (r) {
            var bytes = new Uint8Array(r.sealed.data), text = '';
            for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
            return {fields: Object.keys(r), sealed_bytes: bytes.length, text: JSON.stringify(r) + text,
                    key_extractable: k.result.key.extractable};
          }));
        };
      };""")


def _fill_report(driver, lon: float, lat: float, photo: Path):
    wait(driver, lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")
    Select(driver.find_element(By.ID, "category")).select_by_value("road-damage")
    driver.execute_script("KR.map.setView([arguments[0], arguments[1]], 16, {animate: false});", lat, lon)
    element = driver.find_element(By.ID, "lapor-map")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    x, y = driver.execute_script(
        "var p = KR.map.latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];", lat, lon)
    ActionChains(driver).move_to_element_with_offset(
        element, int(x - element.size["width"] / 2), int(y - element.size["height"] / 2)).click().perform()
    wait(driver, lambda d: d.find_element(By.ID, "lat").get_attribute("value"))
    driver.find_element(By.ID, "description").send_keys("Jalan berlubang dalam di depan dermaga, motor terperosok.")
    driver.find_element(By.ID, "photo").send_keys(str(photo))
    wait(driver, lambda d: d.find_element(By.ID, "photo-previews").get_attribute("data-count") == "1")
    driver.find_element(By.ID, "submit").click()


def _photo(size=(2400, 1800)) -> Path:
    path = Path(tempfile.mkdtemp()) / "foto.jpg"
    path.write_bytes(jpeg_bytes(size))
    return path


def _no_page_errors(driver):
    # Resources the page could not fetch while the test had cut the network
    # are the condition under test, not errors of the page.
    assert not [e for e in console_errors(driver)
                if "favicon" not in e["message"] and "ERR_INTERNET_DISCONNECTED" not in e["message"]
                and "Failed to load resource" not in e["message"]]


def test_resident_files_a_report_with_a_photo_offline_and_it_arrives_once(phone, live_server, taxonomy,
                                                                          desa_point):
    base = live_server.url
    lon, lat = desa_point(SUNGAI_RAYA)
    _fresh_origin(phone, base)
    _controlled(phone, base + "/lapor/")
    net = NetworkSwitch(phone)
    try:
        net.set(False)
        phone.get(base + "/lapor/")
        # The form comes from the phone, and says how old its copy is.
        assert _html(phone, "krCachedAt")
        assert phone.find_element(By.ID, "cached-notice").is_displayed()
        _fill_report(phone, lon, lat, _photo())
        queued = wait(phone, lambda d: d.find_element(By.ID, "queued"))
        assert "dikirim otomatis" in queued.text
        report_id = wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#outbox-list li")).get_attribute("data-id")
        assert uuid.UUID(report_id)
        screenshot(phone, "offline-resident-queued")
        assert Report.objects.count() == 0
        for _ in range(2):
            phone.refresh()
            wait(phone, lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")
            wait(phone, lambda d: _html(d, "outbox") == "1")
            assert len(phone.find_elements(By.CSS_SELECTOR, "#outbox-list li")) == 1
            # the draft went into the outbox: the form is empty, with a new id
            assert phone.find_element(By.ID, "description").get_attribute("value") == ""
            assert phone.find_element(By.ID, "report-id").get_attribute("value") != report_id
            assert Report.objects.count() == 0
    finally:
        net.set(True)
    assert _until(lambda: Report.objects.count() == 1), "the queued report did not arrive"
    wait(phone, lambda d: _html(d, "outbox") == "0", timeout=60)
    sent = wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#offline-outbox .sent a.code"))
    report = Report.objects.get()
    assert str(report.id) == report_id
    assert sent.text == report.tracking_code
    assert ReportPhoto.objects.filter(report=report, kind=ReportPhoto.Kind.SUBMISSION).count() == 1
    photo = ReportPhoto.objects.get(report=report)
    assert max(photo.width, photo.height) <= 1600          # downscaled on the phone
    # sent from this phone: "Laporan saya" on this phone lists it
    assert [r["tracking_code"] for r in device_reports(secret=SECRET)] == [report.tracking_code]
    screenshot(phone, "offline-resident-sent")
    # Opening the app again (a flush on every open) sends nothing twice.
    phone.get(base + "/lapor/")
    wait(phone, lambda d: _html(d, "outbox") == "0")
    time.sleep(2)
    assert Report.objects.count() == 1
    net.close()
    _no_page_errors(phone)


def test_background_sync_sends_with_no_page_of_the_app_open(phone, live_server, users, submit, desa_point):
    base = live_server.url
    lon, lat = desa_point(SUNGAI_RAYA)
    response = submit(users["resident"], category="road-damage", description="Jalan berlubang di depan SD")
    assert response.status_code == 201, response.content
    crew_report = Report.objects.get(id=response.json()["id"])
    report_services.report_transition(report_id=crew_report.id, actor=users["pupr"], to="dispatched", note="")
    _fresh_origin(phone, base)
    _sign_in(phone, base, users["pupr_crew"])
    _controlled(phone, base + "/kerja/offline/")
    wait(phone, lambda d: _html(d, "crewReady") == "1")
    phone.find_element(By.ID, "crew-download").click()
    wait(phone, lambda d: _html(d, "offlineReady") == "1")
    net = NetworkSwitch(phone)
    net.watch_background_sync()
    try:
        net.set(False)
        # the crew starts work on its report...
        card = phone.find_element(By.CSS_SELECTOR, f'li.card[data-report="{crew_report.id}"]')
        Select(card.find_element(By.NAME, "to")).select_by_value("in_progress")
        card.find_element(By.NAME, "note").send_keys("Menuju lokasi dengan perahu")
        card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(phone, lambda d: d.find_element(By.ID, "crew-queue-count").text == "1")
        # At rest the queued action is ciphertext: its id and time in clear, nothing else.
        kept = _crew_queue_at_rest(phone)
        assert len(kept) == 1 and sorted(kept[0]["fields"]) == ["client_id", "sealed", "taken_at"]
        assert kept[0]["sealed_bytes"] > 40 and "perahu" not in kept[0]["text"]
        assert str(crew_report.id) not in kept[0]["text"] and kept[0]["key_extractable"] is False
        # ...and, on the same phone, a report is filed from the form.
        phone.get(base + "/lapor/")
        _fill_report(phone, lon, lat, _photo((800, 600)))
        wait(phone, lambda d: d.find_element(By.ID, "queued"))
        # No page of the app stays open: only the service worker can send now.
        phone.get("about:blank")
        assert ClientAction.objects.count() == 0 and Report.objects.count() == 1
    finally:
        net.set(True)
    assert _until(lambda: Report.objects.count() == 2), "the queued report was not sent by Background Sync"
    assert _until(lambda: ClientAction.objects.count() == 1), "the crew's action was not sent by Background Sync"
    assert ClientAction.objects.get().outcome == "applied"
    crew_report.refresh_from_db()
    assert crew_report.status == "in_progress"
    assert _until(lambda: {("Dispatched sync event", "kr-outbox"), ("Dispatched sync event", "kr-crew")} <= {
        (e["eventName"], e["instanceId"]) for e in net.sync_events}, timeout=10), net.sync_events
    net.close()
    # Back on the crew's page: the status the server answered, nothing waiting.
    phone.get(base + "/kerja/offline/")
    wait(phone, lambda d: _html(d, "crewReady") == "1")
    assert phone.find_element(By.ID, "crew-queue-count").text == "0"
    meta = phone.find_element(By.CSS_SELECTOR, f'li.card[data-report="{crew_report.id}"] .meta').text
    assert meta.startswith("Diproses")


def test_pages_seen_before_open_offline_never_older_than_what_the_phone_sent(phone, live_server, users, submit):
    base = live_server.url
    # A report filed from this phone without an account, handled by PUPR.
    response = submit(None, category="road-damage", description="Turap longsor dekat dermaga")
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    Report.objects.filter(id=report.id).update(device_secret_hash=device_hash(SECRET))  # as the API does for X-Device-Secret
    report_services.report_transition(report_id=report.id, actor=users["pupr"], to="dispatched", note="")
    code = report.tracking_code
    _fresh_origin(phone, base)
    _controlled(phone, base + "/laporan-saya/")
    wait(phone, lambda d: d.find_elements(By.CSS_SELECTOR, "#device-list li a.code"))
    phone.get(base + f"/lacak/{code}/")
    assert phone.find_element(By.ID, "status").text == "Didisposisi"
    net = NetworkSwitch(phone)
    try:
        net.set(False)
        # "Laporan saya" (this phone's list) and the tracking page, offline
        phone.get(base + "/laporan-saya/")
        notice = wait(phone, lambda d: d.find_element(By.ID, "cached-notice"))
        assert "terakhir diperbarui" in notice.text and "WIB" in notice.text
        listed = wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#device-list li a.code"))
        assert listed.text == code
        phone.get(base + f"/lacak/{code}/")
        assert "terakhir diperbarui" in wait(phone, lambda d: d.find_element(By.ID, "cached-notice")).text
        assert phone.find_element(By.ID, "status").text == "Didisposisi"
        screenshot(phone, "offline-lacak-cached")
    finally:
        net.set(True)

    # The same phone in a crew's hands: it has the tracking page, takes the
    # queue offline and closes the report with no signal.
    _sign_in(phone, base, users["pupr_crew"])
    phone.get(base + f"/lacak/{code}/")
    phone.get(base + "/kerja/offline/")
    wait(phone, lambda d: _html(d, "crewReady") == "1")
    phone.find_element(By.ID, "crew-download").click()
    wait(phone, lambda d: _html(d, "offlineReady") == "1")
    try:
        net.set(False)
        card = phone.find_element(By.CSS_SELECTOR, f'li.card[data-report="{report.id}"]')
        Select(card.find_element(By.NAME, "to")).select_by_value("resolved")
        card.find_element(By.NAME, "note").send_keys("Turap diperkuat")
        card.find_element(By.NAME, "photo").send_keys(str(_photo((1200, 900))))
        card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(phone, lambda d: d.find_element(By.ID, "crew-queue-count").text == "1")
        phone.get(base + f"/lacak/{code}/")
        wait(phone, lambda d: _html(d, "cachedShown") == "1")
        status = phone.find_element(By.ID, "status")
        assert status.text == "Selesai (menunggu sinyal)", status.text
        assert status.get_attribute("data-phone-status") == "resolved"
        screenshot(phone, "offline-lacak-pending")
    finally:
        net.set(True)
    phone.get(base + "/kerja/offline/")
    wait(phone, lambda d: d.find_element(By.ID, "crew-queue-count").text == "0", timeout=60)
    report.refresh_from_db()
    assert report.status == "resolved"
    try:
        net.set(False)
        # The kept page was fetched again after the change was sent.
        phone.get(base + f"/lacak/{code}/")
        wait(phone, lambda d: _html(d, "cachedShown") == "1")
        assert phone.find_element(By.ID, "status").text == "Selesai"
    finally:
        net.close()
    _no_page_errors(phone)


def test_the_crew_page_speaks_english_when_asked(phone, live_server, users, submit):
    from django.utils import translation

    from offline.text import offline_text

    response = submit(users["resident"], category="road-damage", description="Jalan berlubang di depan SD")
    report = Report.objects.get(id=response.json()["id"])
    report_services.report_transition(report_id=report.id, actor=users["pupr"], to="dispatched", note="")
    with translation.override("en"):
        english = offline_text()
    base = live_server.url
    _fresh_origin(phone, base)
    _sign_in(phone, base, users["pupr_crew"])
    phone.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "path": "/"})
    phone.get(base + "/kerja/offline/")
    wait(phone, lambda d: _html(d, "crewReady") == "1")
    assert phone.find_element(By.ID, "crew-fresh").text == "No offline data on this phone yet."
    phone.find_element(By.ID, "crew-download").click()
    wait(phone, lambda d: _html(d, "offlineReady") == "1")
    assert "(limit 30.0 MB)" in phone.find_element(By.ID, "crew-size").text
    assert phone.find_element(By.ID, "crew-fresh").text.startswith("Data taken just now")
    card = phone.find_element(By.CSS_SELECTOR, f'li.card[data-report="{report.id}"]')
    assert card.find_element(By.CSS_SELECTOR, ".meta").text.startswith(english["statuses"]["dispatched"])
    assert [o.text for o in Select(card.find_element(By.NAME, "to")).options][0] == "Note only"
    assert card.find_element(By.NAME, "note").get_attribute("placeholder") == "Field note"
    card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert phone.find_element(By.ID, "crew-status").text == "Write a note or choose a status."


def _resolved_report(submit, users, reporter=None) -> Report:
    response = submit(reporter or users["resident"], category="road-damage", description="Jalan berlubang di depan SD")
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    for to in ("dispatched", "in_progress", "resolved"):
        report_services.report_transition(report_id=report.id, actor=users["pupr"], to=to, note="Sudah ditambal")
    return report


def test_a_dispute_made_offline_waits_on_the_phone_and_is_applied_once(phone, live_server, users, submit):
    from reports.models import ReportEvent
    from residents.models import ClientRequest

    base = live_server.url
    report = _resolved_report(submit, users)
    code = report.tracking_code
    _fresh_origin(phone, base)
    _sign_in(phone, base, users["resident"])
    _controlled(phone, base + f"/lacak/{code}/")
    assert phone.find_element(By.ID, "status").text == "Selesai"
    wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#dispute-form input[name=client_id]"))
    net = NetworkSwitch(phone)
    try:
        net.set(False)
        wait(phone, lambda d: d.execute_script("return navigator.onLine") is False)
        phone.find_element(By.ID, "dispute-note").send_keys("Lubangnya muncul lagi setelah hujan")
        phone.find_element(By.ID, "dispute-submit").click()
        # Back on the tracking page (the phone's copy), which says what waits.
        waiting = wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#offline-answers .waiting"))
        assert "Keberatan Anda tersimpan di ponsel" in waiting.text
        assert _html(phone, "krCachedAt")
        wait(phone, lambda d: d.find_element(By.ID, "status").text == "Diproses (menunggu sinyal)")
        screenshot(phone, "offline-dispute-queued")
        for _ in range(2):
            phone.refresh()
            wait(phone, lambda d: _html(d, "answersWaiting") == "1")
        assert not ReportEvent.objects.filter(report=report, kind="dispute").exists()
    finally:
        net.set(True)
    # The page's "online" asks the worker to send (Background Sync may too): applied once.
    assert _until(lambda: ReportEvent.objects.filter(report=report, kind="dispute").count() == 1), \
        "the queued dispute did not arrive"
    wait(phone, lambda d: _html(d, "answersWaiting") == "0", timeout=60)
    report.refresh_from_db()
    assert report.status == "in_progress" and ClientRequest.objects.get().kind == "dispute"
    # Opening the app again (a flush on every open) sends nothing twice.
    phone.get(base + f"/lacak/{code}/")
    assert "Lubangnya muncul lagi setelah hujan" in phone.find_element(By.ID, "timeline").text
    time.sleep(2)
    assert ReportEvent.objects.filter(report=report, kind="dispute").count() == 1
    net.close()
    _no_page_errors(phone)


def test_a_signed_in_users_kept_pages_expire(phone, live_server, users, submit, monkeypatch):
    """A signed-in user's page is kept for offline.selectors.PRIVATE_HOURS
    (72); here 0, so it is past its hours as soon as it is kept: offline the
    phone no longer serves it (nor keeps it), while a page kept signed out is
    still served."""
    from offline import selectors

    monkeypatch.setattr(selectors, "PRIVATE_HOURS", 0)
    base = live_server.url
    report = _resolved_report(submit, users)
    _fresh_origin(phone, base)
    _controlled(phone, base + "/lapor/")
    _sign_in(phone, base, users["resident"])
    phone.get(base + f"/lacak/{report.tracking_code}/")
    assert phone.find_element(By.CSS_SELECTOR, 'meta[name="kr-private-hours"]').get_attribute("content") == "0"
    net = NetworkSwitch(phone)
    try:
        net.set(False)
        phone.get(base + f"/lacak/{report.tracking_code}/")
        assert phone.find_element(By.TAG_NAME, "h1").text == "Tidak ada sinyal"   # the fallback, not the kept copy
        phone.get(base + "/lapor/")
        assert _html(phone, "krCachedAt") and phone.find_element(By.ID, "lapor-form")
        kept = phone.execute_async_script("""
          var done = arguments[arguments.length - 1];
          caches.open('kr-offline-v1-pages').then(function (c) { return c.match(arguments[0]); })
            .then(function (hit) { done(!!hit); });""".replace("arguments[0]", repr(f"/lacak/{report.tracking_code}/")))
        assert kept is False   # swept from the phone
    finally:
        net.close()
