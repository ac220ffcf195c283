"""Each role's journey in headless Chromium (issue 20), desktop and phone
(360x740): staff find a new report and work it; a crew on a phone opens
near-me and closes a report with an evidence photo; a coordinator re-routes;
a planner draws a polygon and downloads the result; a PPID officer answers a
request; a data steward uploads and a walidata approves a dataset that then
appears on the dashboard. Every wait is on an element or a condition."""
import datetime
import io
import json
import re
import tempfile
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency
from geo.selectors import desa_centroids
from reports.models import Report, ReportPhoto
from reports.services import categories_seed, report_submit

from .conftest import console_errors, screenshot, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-sekali-123"
SUNGAI_RAYA = "61.12.01.2001"
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}



def _user(username, role, agency=None):
    user = user_create(username=username, password=PASSWORD, email=f"{username}@example.org")
    membership_grant(user=user, role=role, agency=Agency.objects.get(code=agency) if agency else None)
    return user


def _point():
    return {code: (x, y) for code, x, y in desa_centroids()}[SUNGAI_RAYA]


def _report(*, category="road-damage", dx=0.0, created=None, status=None, agency=...):
    lon, lat = _point()
    report = report_submit(report_id=uuid.uuid4(), category_code=category, lon=lon + dx, lat=lat,
                           description="Jalan berlubang dalam di depan sekolah",
                           photo=SimpleUploadedFile("f.jpg", _jpeg((640, 480)), content_type="image/jpeg")).report
    fields = {}
    if created:
        fields["created_at"] = created
    if status:
        fields.update(status=status, resolved_at=created or report.created_at) if status == "resolved" else \
            fields.update(status=status)
    if agency is not ...:
        fields["agency"] = agency
    if fields:
        Report.objects.filter(id=report.id).update(**fields)
    return Report.objects.get(id=report.id)


def _jpeg(size) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG", quality=95)
    return out.getvalue()


def _sign_in(browser, base, username, *, expect_path):
    browser.get(base + "/masuk/")
    wait(browser, EC.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait(browser, lambda d: d.current_url.split("?")[0].endswith(expect_path))
    assert browser.find_element(By.ID, "sign-out")


def _status(browser) -> str:
    return browser.find_element(By.ID, "report-status").text


def _transition(browser, to, note=""):
    before = _status(browser)
    Select(browser.find_element(By.ID, "to")).select_by_value(to)
    if note:
        browser.find_element(By.ID, "note").send_keys(note)
    browser.find_element(By.ID, "transition-submit").click()
    wait(browser, lambda d: _status(d) != before)


def test_staff_find_a_new_report_among_closed_ones_and_move_it_through_the_workflow(browser, live_server, kubu_raya):
    categories_seed()
    _user("staf_pupr", Role.AGENCY_STAFF, "pupr")
    old = datetime.datetime(2026, 1, 5, tzinfo=datetime.timezone.utc)
    for i in range(30):
        _report(dx=i * 0.0002, created=old, status="resolved")
    new = _report(dx=0.01)
    base = live_server.url
    _sign_in(browser, base, "staf_pupr", expect_path="/kerja/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr[data-code]")
    assert [r.get_attribute("data-code") for r in rows] == [new.tracking_code]   # open work only
    browser.find_element(By.ID, "q").send_keys(new.tracking_code)
    browser.find_element(By.CSS_SELECTOR, "#queue-filter button[type=submit]").click()
    wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, new.tracking_code))).click()
    wait(browser, EC.presence_of_element_located((By.ID, "transition-form")))
    assert browser.find_element(By.CSS_SELECTOR, "img.submission-photo").get_property("naturalWidth") > 0
    assert wait(browser, lambda d: d.execute_script("return document.documentElement.dataset.mapReady")) == "1"
    for to, label in [("verified", "Diverifikasi"), ("dispatched", "Didisposisi"), ("in_progress", "Diproses")]:
        _transition(browser, to, note=f"Langkah {label}")
        assert _status(browser) == label
    _transition(browser, "resolved", note="Lubang sudah ditambal.")
    assert _status(browser) == "Selesai"
    timeline = browser.find_element(By.ID, "timeline").text
    assert "Diproses → Selesai" in timeline and "resolved" not in timeline
    screenshot(browser, "work-staff-resolved")
    assert console_errors(browser) == []


def test_crew_on_a_phone_opens_near_me_and_closes_a_report_with_an_evidence_photo(browser, live_server, kubu_raya):
    categories_seed()
    _user("kru_pupr", Role.FIELD_CREW, "pupr")
    near = _report(status="dispatched")
    far = _report(dx=0.05, status="dispatched")
    lon, lat = _point()
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon + 0.0003,
                                                                 "accuracy": 10})
    try:
        _sign_in(browser, live_server.url, "kru_pupr", expect_path="/kerja/dekat/")
        cards = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#near-list li[data-code]"))
        assert [c.get_attribute("data-code") for c in cards] == [near.tracking_code, far.tracking_code]
        assert cards[0].find_element(By.CSS_SELECTOR, "a.nav-link").get_attribute("href").startswith("geo:")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
        screenshot(browser, "work-crew-near-me-phone")
        cards[0].find_element(By.CSS_SELECTOR, "a.code-link").click()
        wait(browser, EC.presence_of_element_located((By.ID, "transition-form")))
        targets = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "to")).options]
        assert targets == ["in_progress", "resolved"]
        with tempfile.NamedTemporaryFile(suffix=".jpg") as photo:
            photo.write(_jpeg((3200, 2400)))
            photo.flush()
            browser.find_element(By.ID, "photo").send_keys(photo.name)
            _transition(browser, "resolved")
        assert _status(browser) == "Selesai"
        evidence = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "img.evidence-photo")))
        assert wait(browser, lambda d: evidence.get_property("naturalWidth")) > 0
        stored = ReportPhoto.objects.get(report_id=near.id, kind="evidence")
        assert max(stored.width, stored.height) <= 1600     # downscaled on the phone before upload
        screenshot(browser, "work-crew-resolved-phone")
    finally:
        browser.execute_cdp_cmd("Emulation.clearGeolocationOverride", {})


def test_coordinator_reroutes_a_triage_report_with_a_reason(browser, live_server, kubu_raya):
    categories_seed()
    _user("koordinator", Role.COORDINATOR, "diskominfo")
    lost = _report(agency=None)
    _sign_in(browser, live_server.url, "koordinator", expect_path="/kerja/")
    assert "Triase" in browser.find_element(By.TAG_NAME, "h1").text       # the coordinator's queue is triage
    wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, lost.tracking_code))).click()
    wait(browser, EC.presence_of_element_located((By.ID, "agency")))
    Select(browser.find_element(By.ID, "to")).select_by_value("dispatched")
    Select(browser.find_element(By.ID, "agency")).select_by_value("pupr")
    browser.find_element(By.ID, "transition-submit").click()
    error = wait(browser, EC.visibility_of_element_located((By.ID, "transition-error")))
    assert "alasan" in error.text                                 # a re-route needs a reason
    assert Report.objects.get(id=lost.id).agency_id is None
    browser.find_element(By.ID, "note").send_keys("Jalan kabupaten: kewenangan PUPR")
    browser.find_element(By.ID, "transition-submit").click()
    wait(browser, lambda d: "Pekerjaan Umum" in d.find_element(By.ID, "report-agency").text)
    assert "Jalan kabupaten: kewenangan PUPR" in browser.find_element(By.ID, "timeline").text
    assert Report.objects.get(id=lost.id).agency.code == "pupr"


def test_planner_draws_a_polygon_and_downloads_the_result(browser, live_server, kubu_raya):
    categories_seed()
    _user("perencana", Role.PLANNER)
    for i in range(6):
        _report(dx=i * 0.0001)
    lon, lat = _point()
    _sign_in(browser, live_server.url, "perencana", expect_path="/perencana/")
    wait(browser, lambda d: d.execute_script("return document.documentElement.dataset.mapReady") == "1")
    browser.execute_script("KR.map.setView([arguments[0], arguments[1]], 15, {animate: false});", lat, lon)
    browser.find_element(By.ID, "draw-polygon").click()
    element = browser.find_element(By.ID, "planner-map")
    for dlon, dlat in [(-0.003, -0.003), (0.004, -0.003), (0.004, 0.003), (-0.003, 0.003)]:
        x, y = browser.execute_script("var p = KR.map.latLngToContainerPoint([arguments[0], arguments[1]]);"
                                      "return [p.x, p.y];", lat + dlat, lon + dlon)
        ActionChains(browser).move_to_element_with_offset(
            element, int(x - element.size["width"] / 2), int(y - element.size["height"] / 2)).click().perform()
    geometry = json.loads(browser.find_element(By.ID, "geometry").get_attribute("value"))
    assert geometry["type"] == "Polygon" and len(geometry["coordinates"][0]) == 5
    Select(browser.find_element(By.ID, "category")).select_by_value("road-damage")
    browser.find_element(By.ID, "planner-submit").click()
    wait(browser, EC.presence_of_element_located((By.ID, "planner-result")))
    assert browser.find_element(By.ID, "feature-count").text == "6"
    assert "Sungai Raya" in browser.find_element(By.ID, "planner-stats").text
    # The hotspot's count is published rounded to the nearest 5 (6 -> 5).
    assert re.search(r"^1 5 ", browser.find_element(By.ID, "planner-hotspots").text, re.M)
    screenshot(browser, "work-planner-result")
    downloaded = browser.execute_async_script(
        "var done = arguments[0]; fetch(document.getElementById('dl-geojson').href)"
        ".then(function (r) { return r.json(); }).then(function (j) { done(j.features.length); });")
    assert downloaded == 6
    csv_head = browser.execute_async_script(
        "var done = arguments[0]; fetch(document.getElementById('dl-csv').href)"
        ".then(function (r) { return r.text(); }).then(function (t) { done(t.split('\\n')[0]); });")
    assert csv_head.startswith("id,lon,lat")


def test_ppid_officer_answers_a_request(browser, live_server, kubu_raya):
    from ppid.services import request_create

    _user("ppid", Role.PPID_OFFICER)
    requester = user_create(username="pemohon", password=PASSWORD, email="pemohon@example.org")
    identity = {"kind": "person", "name": "Siti Pemohon", "id_number": "6112010101900002",
                "address": "Jl. Uji No. 2, Sungai Raya", "phone": "", "email": "pemohon@example.org",
                "occupation": "Mahasiswa"}
    request = request_create(requester=requester, identity=identity, information="Data jalan rusak 2026",
                             purpose="Skripsi")
    _sign_in(browser, live_server.url, "ppid", expect_path="/ppid/petugas/")
    wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, request.registration_number))).click()
    wait(browser, EC.presence_of_element_located((By.NAME, "decision")))
    height = browser.execute_script("return document.querySelector('[name=note]').getBoundingClientRect().height")
    assert height > 30        # styled, not a 21 px browser default
    Select(browser.find_element(By.NAME, "decision")).select_by_value("granted")
    browser.find_element(By.NAME, "note").send_keys("Informasi dikirim melalui surel dalam 3 hari kerja.")
    browser.find_element(By.XPATH, "//form[input[@value='decide']]//button").click()
    wait(browser, lambda d: "Tersimpan" in d.find_element(By.TAG_NAME, "main").text)
    request.refresh_from_db()
    assert request.decision == "granted"
    screenshot(browser, "work-ppid-answered")


def test_data_steward_uploads_walidata_approves_and_the_dashboard_shows_it(browser, live_server, kubu_raya):
    from datasets.services import dataset_create
    from geo.models import Area
    from portal import services

    producer = _user("produsen_pupr", Role.DATA_PRODUCER, "pupr")
    _user("walidata", Role.WALIDATA)
    dataset_create(user=producer, slug="jalan-mantap", title="Panjang jalan mantap per desa", description="Uji",
                   kind="desa", producer=Agency.objects.get(code="pupr"), frequency="tahunan",
                   kip_class="setiap_saat", legal_basis="UU 14/2008 Pasal 11 ayat (1)", keywords="jalan",
                   reference_edition=kubu_raya)
    codes = list(Area.objects.filter(edition=kubu_raya, level="desa").order_by("code").values_list("code", flat=True))
    rows = ["kode_desa,panjang_km"] + [f"{code},{i + 1}.5" for i, code in enumerate(codes[:8])]
    base = live_server.url
    _sign_in(browser, base, "produsen_pupr", expect_path="/data/opd/")
    wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, "Panjang jalan mantap per desa"))).click()
    with tempfile.NamedTemporaryFile(suffix=".csv", mode="w") as handle:
        handle.write("\n".join(rows) + "\n")
        handle.flush()
        wait(browser, EC.presence_of_element_located((By.NAME, "file"))).send_keys(handle.name)
        browser.find_element(By.XPATH, "//form[input[@value='upload']]//button").click()
        wait(browser, lambda d: "menunggu persetujuan" in d.find_element(By.TAG_NAME, "main").text)
    browser.find_element(By.ID, "sign-out").click()
    wait(browser, EC.presence_of_element_located((By.ID, "sign-in")))

    _sign_in(browser, base, "walidata", expect_path="/data/opd/")
    wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, "Panjang jalan mantap per desa"))).click()
    wait(browser, EC.element_to_be_clickable((By.XPATH, "//button[@value='approve']"))).click()
    wait(browser, lambda d: not d.find_elements(By.XPATH, "//button[@value='approve']"))
    services.dashboard_snapshot_refresh(wait=True)
    browser.get(base + "/dasbor/")
    options = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#dataset-field option"))
    assert any("Panjang jalan mantap per desa" in o.text for o in options)
    screenshot(browser, "work-dataset-on-dashboard")
