"""A resident's journeys on a phone (Chromium, 360x740, touch) against a live
server: sign up with a code received on the simulated WhatsApp, file a report
with photos taken by the phone's camera (4000x3000), support a candidate
instead of filing a duplicate, follow a report and receive its update, and
dispute a resolution from the phone that filed it. Every wait is on an
element or a condition."""
import re
import uuid

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency
from geo.selectors import desa_centroids
from messaging.gateways import simulated_inbox
from reports.models import Report, ReportPhoto
from reports.services import categories_seed, report_submit, report_transition
from tests.portal.conftest import open_fresh, screenshot, wait, wait_overlays_drawn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SUNGAI_RAYA = "61.12.01.2001"



@pytest.fixture
def phone(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    yield browser
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


@pytest.fixture
def world(kubu_raya):
    categories_seed()
    staff = user_create(username="staf_pupr", password="rahasia-sekali-123", email="pupr@example.org")
    membership_grant(user=staff, role=Role.AGENCY_STAFF, agency=Agency.objects.get(code="pupr"))
    coordinator = user_create(username="koordinator", password="rahasia-sekali-123", email="k@example.org")
    membership_grant(user=coordinator, role=Role.COORDINATOR, agency=Agency.objects.get(code="diskominfo"))
    lon, lat = next((lo, la) for code, lo, la in desa_centroids() if code == SUNGAI_RAYA)
    return {"staff": staff, "coordinator": coordinator, "lon": lon, "lat": lat}


@pytest.fixture
def camera_photos(tmp_path):
    """Two phone-camera JPEGs, 4000x3000, with noise so they weigh like photos."""
    paths = []
    for i in range(2):
        image = Image.effect_noise((4000, 3000), 60 + i).convert("RGB")
        path = tmp_path / f"IMG_{i}.jpg"
        image.save(path, format="JPEG", quality=92)
        paths.append(path)
    return paths


def _tap(driver, lat, lon):
    """A tap on the mini-map at (lat, lon) once zoomed in enough."""
    driver.execute_script("KR.map.setView([arguments[0], arguments[1]], 16, {animate: false});"
                          "KR.map.fire('click', {latlng: L.latLng(arguments[0], arguments[1])});", lat, lon)


def _open_form(driver, base):
    open_fresh(driver, base + "/lapor/")
    wait_overlays_drawn(driver)
    wait(driver, lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")


def _transition(report_id, staff, to, **kw):
    return report_transition(report_id=report_id, actor=staff, to=to, **kw)


def test_file_with_photos_then_dispute_from_the_same_phone(phone, live_server, world, camera_photos):
    base = live_server.url
    _open_form(phone, base)
    # a tap at regency zoom asks to zoom in instead of placing the point
    phone.execute_script("KR.map.setView([-0.35, 109.45], 9, {animate: false});"
                         "KR.map.fire('click', {latlng: L.latLng(-0.35, 109.45)});")
    assert phone.find_element(By.ID, "map-status").get_attribute("data-state") == "zoom-in"
    assert phone.find_element(By.ID, "lat").get_attribute("value") == ""
    Select(phone.find_element(By.ID, "category")).select_by_value("road-damage")
    assert "Foto dan identitas Anda tidak dipublikasikan" in phone.find_element(By.ID, "public-note").text
    _tap(phone, world["lat"], world["lon"])
    wait(phone, lambda d: "Dinas Pekerjaan Umum dan Penataan Ruang" in d.find_element(By.ID, "route").text)
    phone.find_element(By.ID, "description").send_keys("Jalan berlubang dalam di depan SD, motor sering jatuh.")
    phone.find_element(By.ID, "photo").send_keys("\n".join(str(p) for p in camera_photos))
    wait(phone, lambda d: d.find_element(By.ID, "photo-previews").get_attribute("data-count") == "2")
    # the draft survives a reload (a closed tab, a dropped connection)
    report_id = phone.find_element(By.ID, "report-id").get_attribute("value")
    phone.refresh()
    wait(phone, lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")
    assert phone.find_element(By.ID, "draft-notice").is_displayed()
    assert phone.find_element(By.ID, "report-id").get_attribute("value") == report_id
    assert phone.find_element(By.ID, "photo-previews").get_attribute("data-count") == "2"
    assert phone.find_element(By.ID, "description").get_attribute("value").startswith("Jalan berlubang")
    screenshot(phone, "phone-lapor-draft")
    phone.find_element(By.ID, "submit").click()
    code = wait(phone, EC.visibility_of_element_located((By.ID, "tracking-code"))).text.strip()
    report = Report.objects.get(tracking_code=code)
    assert str(report.id) == report_id and report.anonymous is False and report.reporter_id is None
    photos = list(ReportPhoto.objects.filter(report=report))
    assert len(photos) == 2 and all(max(p.width, p.height) <= 1600 for p in photos)
    assert all(p.size_bytes < 1_000_000 for p in photos)  # downscaled on the phone, not 3-4 MB
    screenshot(phone, "phone-lapor-sent")

    # the crew resolves it; the same phone (no account) says it is not fixed
    for to in ("dispatched", "in_progress"):
        _transition(report.id, world["staff"], to)
    _transition(report.id, world["staff"], "resolved", note="Sudah ditambal")
    phone.get(f"{base}/lacak/{code.replace('-', '').lower()}/")  # typed without dashes
    wait(phone, lambda d: d.find_element(By.ID, "reporter-box").is_displayed())
    assert phone.find_element(By.ID, "code").text == code
    assert "Jalan berlubang" in phone.find_element(By.ID, "description").text
    wait(phone, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#own-photos img")) == 2)
    phone.find_element(By.ID, "dispute-note").send_keys("Lubangnya masih ada, tambalan sudah lepas.")
    phone.find_element(By.ID, "dispute-submit").click()
    wait(phone, lambda d: d.find_element(By.ID, "status").text == "Diproses")
    assert "Lubangnya masih ada" in phone.find_element(By.ID, "timeline").text
    screenshot(phone, "phone-lacak-disputed")


def test_support_a_candidate_instead_of_filing_a_duplicate(phone, live_server, world):
    existing = report_submit(report_id=uuid.uuid4(), category_code="street-light", lon=world["lon"],
                             lat=world["lat"], description="Lampu jalan mati sejak seminggu").report
    _open_form(phone, live_server.url)
    Select(phone.find_element(By.ID, "category")).select_by_value("street-light")
    _tap(phone, world["lat"] + 0.0002, world["lon"])
    item = wait(phone, EC.visibility_of_element_located((By.CSS_SELECTOR, "#candidates-list li.candidate")))
    text = item.text
    assert "Penerangan jalan umum mati" in text and "Diterima" in text and re.search(r"\b2\d m\b", text), text
    item.find_element(By.CSS_SELECTOR, "button.support").click()
    wait(phone, lambda d: d.find_element(By.CSS_SELECTOR, "#candidates-list li.candidate").get_attribute(
        "data-supported") == "1")
    existing.refresh_from_db()
    assert existing.supporters_count == 1
    screenshot(phone, "phone-lapor-support")
    phone.get(f"{live_server.url}/lacak/{existing.tracking_code}/")
    assert phone.find_element(By.ID, "supporters").text == "1"


def test_sign_up_follow_and_receive_an_update(phone, live_server, world):
    base = live_server.url
    report = report_submit(report_id=uuid.uuid4(), category_code="flood", lon=world["lon"], lat=world["lat"],
                           description="Banjir setinggi lutut").report
    open_fresh(phone, f"{base}/lacak/{report.tracking_code}/")
    phone.find_element(By.ID, "follow").click()  # not signed in: to the resident sign-in
    wait(phone, lambda d: "/warga/masuk/" in d.current_url)
    phone.find_element(By.ID, "destination").send_keys("0812 3456 7001")
    phone.find_element(By.CSS_SELECTOR, "input[name=channel][value=whatsapp]").click()
    phone.find_element(By.ID, "warga-submit").click()
    wait(phone, lambda d: d.find_elements(By.ID, "code"))
    (message,) = simulated_inbox("+6281234567001", "whatsapp")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    phone.find_element(By.ID, "code").send_keys(code)
    phone.find_element(By.ID, "consent").click()
    phone.find_element(By.ID, "kode-submit").click()
    wait(phone, lambda d: d.find_elements(By.ID, "follow") or d.find_elements(By.ID, "unfollow"))
    assert f"/lacak/{report.tracking_code}/" in phone.current_url  # back where they were
    phone.find_element(By.ID, "follow").click()
    wait(phone, lambda d: d.find_elements(By.ID, "unfollow"))
    screenshot(phone, "phone-lacak-following")
    _transition(report.id, world["coordinator"], "dispatched")
    updates = list(simulated_inbox("+6281234567001", "whatsapp"))
    assert len(updates) == 2 and report.tracking_code in updates[1].body and "Didisposisi" in updates[1].body
    phone.get(f"{base}/laporan-saya/")
    followed = phone.find_element(By.ID, "followed").text
    assert report.tracking_code in followed and "Didisposisi" in followed
    screenshot(phone, "phone-laporan-saya")
