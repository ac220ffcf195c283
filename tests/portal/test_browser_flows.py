"""End-to-end flows in headless Chromium against a live server: a resident
files a report on /lapor/, agency staff work it in /kerja/, the tracking
page shows the timeline, and the public map serves it; the dashboard shows
known figures. Every wait is on an element or a condition, never a sleep."""
import math
import re
import urllib.request
import uuid

import mapbox_vector_tile
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency
from geo.selectors import desa_centroids
from portal import services
from reports.services import categories_seed, report_submit

from .conftest import console_errors, open_fresh, screenshot, wait, wait_overlays_drawn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUNGAI_RAYA = "61.12.01.2001"
TELUK_KAPUAS = "61.12.01.2012"
PASSWORD = "rahasia-sekali-123"



def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def bpbd_staff(kubu_raya):
    categories_seed()
    user = user_create(username="staf_bpbd", password=PASSWORD, email="bpbd@example.org")
    membership_grant(user=user, role=Role.AGENCY_STAFF, agency=Agency.objects.get(code="bpbd"))
    return user


def _file_report_on_lapor(browser, base: str, *, lon: float, lat: float) -> str:
    open_fresh(browser, base + "/lapor/")
    wait_overlays_drawn(browser)
    wait(browser, lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")
    Select(browser.find_element(By.ID, "category")).select_by_value("flood")
    # Tap the map where the flood is: the pixel of (lat, lon) in the map's view.
    browser.execute_script("KR.map.setView([arguments[0], arguments[1]], 15, {animate: false});", lat, lon)
    element = browser.find_element(By.ID, "lapor-map")
    # the whole map in view: WebDriver offsets count from the visible part's centre
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    x, y = browser.execute_script(
        "var p = KR.map.latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];", lat, lon)
    ActionChains(browser).move_to_element_with_offset(
        element, int(x - element.size["width"] / 2), int(y - element.size["height"] / 2)).click().perform()
    wait(browser, lambda d: d.find_element(By.ID, "lat").get_attribute("value"))
    tapped = (float(browser.find_element(By.ID, "lon").get_attribute("value")),
              float(browser.find_element(By.ID, "lat").get_attribute("value")))
    assert abs(tapped[0] - lon) < 0.0005 and abs(tapped[1] - lat) < 0.0005, tapped
    browser.find_element(By.ID, "description").send_keys("Banjir setinggi lutut di jalan desa sejak pagi.")
    browser.find_element(By.ID, "submit").click()
    code = wait(browser, EC.visibility_of_element_located((By.ID, "tracking-code"))).text.strip()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code
    screenshot(browser, "flow-lapor-sent")
    return code


def _log_in(browser, base: str, username: str):
    browser.get(base + "/kerja/")
    wait(browser, EC.presence_of_element_located((By.ID, "login-form")))
    assert "/masuk/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait(browser, EC.presence_of_element_located((By.ID, "queue")))


def _transition(browser, to: str, note: str = ""):
    status_before = browser.find_element(By.CSS_SELECTOR, "main .status").text
    Select(browser.find_element(By.ID, "to")).select_by_value(to)
    if note:
        browser.find_element(By.ID, "note").send_keys(note)
    browser.find_element(By.CSS_SELECTOR, "#transition-form button[type=submit]").click()
    # The page reloads after a successful transition.
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "main .status").text != status_before)
    assert browser.find_element(By.ID, "transition-error").get_attribute("hidden") is not None


def test_report_filed_worked_tracked_and_mapped(browser, live_server, bpbd_staff):
    base = live_server.url
    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}[SUNGAI_RAYA]
    code = _file_report_on_lapor(browser, base, lon=lon, lat=lat)

    # Agency staff sign in and find it in their queue.
    browser.delete_all_cookies()
    _log_in(browser, base, "staf_bpbd")
    link = wait(browser, EC.element_to_be_clickable((By.LINK_TEXT, code)))
    screenshot(browser, "flow-kerja-queue")
    link.click()
    wait(browser, EC.presence_of_element_located((By.ID, "transition-form")))
    _transition(browser, "dispatched")
    _transition(browser, "in_progress", note="Tim BPBD menuju lokasi dengan pompa air.")
    assert browser.find_element(By.CSS_SELECTOR, "main .status").text == "Diproses"

    # The resident's tracking page shows the new status and the public note.
    browser.delete_all_cookies()
    browser.get(f"{base}/lacak/{code}/")
    timeline = wait(browser, EC.presence_of_element_located((By.ID, "timeline")))
    assert browser.find_element(By.ID, "status").text == "Diproses"
    assert "Tim BPBD menuju lokasi dengan pompa air." in timeline.text
    assert "Diproses" in timeline.text and "Didisposisi" in timeline.text
    screenshot(browser, "flow-lacak")

    # Flood is P0: the public map requests the tile that holds it, and the tile
    # has its point, in progress.
    browser.get(base + "/peta/")
    wait_overlays_drawn(browser)
    browser.execute_script("KR.map.setView([arguments[0], arguments[1]], 16, {animate: false});", lat, lon)
    x, y = _tile_xy(lon, lat, 16)
    path = f"/tiles/reports/16/{x}/{y}.mvt"
    wait(browser, lambda d: any(path in name for name in d.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });")))
    with urllib.request.urlopen(base + path) as response:
        assert response.status == 200
        tile = mapbox_vector_tile.decode(response.read())
    features = tile["reports"]["features"]
    assert [f["properties"].get("status") for f in features] == ["in_progress"]
    screenshot(browser, "flow-peta-report")
    assert [e for e in console_errors(browser) if "basemap" not in e["message"]] == []


def test_dashboard_shows_known_figures(browser, live_server, kubu_raya):
    categories_seed()
    points = {code: (x, y) for code, x, y in desa_centroids()}
    for desa, category, n in ((SUNGAI_RAYA, "flood", 7), (TELUK_KAPUAS, "flood", 2),
                              (SUNGAI_RAYA, "health-visit", 6)):
        lon, lat = points[desa]
        for i in range(n):
            report_submit(report_id=uuid.uuid4(), category_code=category, lon=lon, lat=lat,
                          description=f"Laporan di desa, nomor {i}", photo_optional=True)
    services.dashboard_snapshot_refresh(wait=True)
    browser.get(live_server.url + "/dasbor/")
    total = wait(browser, EC.visibility_of_element_located((By.ID, "kpi-total")))
    assert total.text == "9"  # the public points (the floods); health visits only as rounded counts
    assert re.search(r"diperbarui \d{1,2} \w{3} \d{4} \d{2}:\d{2} WIB", browser.find_element(By.ID, "freshness").text)
    titles = browser.execute_script(
        "var h = Array.prototype.filter.call(document.querySelectorAll('h2'), function (e) {"
        "  return e.textContent === 'Laporan kategori agregat per desa'; })[0];"
        "return Array.prototype.map.call(h.parentNode.querySelectorAll('path > title'),"
        "  function (t) { return t.textContent; });")
    # Aggregate-only categories per desa, rounded to the nearest 5 (issue 16).
    assert "Sungai Raya: 5" in titles and "Teluk Kapuas: 0" in titles
    agency_rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#agency-table tbody tr")]
    assert any(row.startswith("Badan Penanggulangan Bencana Daerah") and " 9 " in f" {row} " for row in agency_rows), \
        agency_rows
    screenshot(browser, "flow-dasbor")


def test_report_clusters_carry_their_count_as_a_label(browser, live_server, kubu_raya):
    """Issue 19: a cluster on /peta/ says how many reports it holds (drawn on
    the tile canvas over the circle): 7 flood reports at one desa centre are
    one cluster labelled "7" at the regency zoom."""
    categories_seed()
    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}[SUNGAI_RAYA]
    for i in range(7):
        report_submit(report_id=uuid.uuid4(), category_code="flood", lon=lon, lat=lat,
                      description=f"Banjir di jalan desa, nomor {i}", photo_optional=True)
    browser.get(live_server.url + "/peta/")
    wait_overlays_drawn(browser)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return window.KR.clusterLabels.length") > 0)
    assert browser.execute_script("return window.KR.map.getZoom()") < 13  # clusters, not points
    assert "7" in browser.execute_script("return window.KR.clusterLabels")
    screenshot(browser, "flow-peta-cluster-label")
    assert [e for e in console_errors(browser) if "basemap" not in e["message"]] == []


def test_a_point_near_a_tile_edge_is_in_both_tiles_so_its_circle_is_not_cut(browser, live_server, kubu_raya):
    """Issue 19: a report circle (radius 6 px + 1.5 px stroke) 4-8 px from a
    tile's edge is drawn by both tiles: the neighbour's MVT carries it in its
    buffer (TILES_BUFFER 128 of 4096 = 8 px at 256 px; 64 = 4 px did not)."""
    from common.publication import PUBLIC_GRID_DEG as g

    categories_seed()
    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}[SUNGAI_RAYA]
    z = 13                                        # the first zoom with points (a grid step is 2.9 px)
    x, y = _tile_xy(lon, lat, z)
    east = (x + 1) / 2 ** z * 360 - 180
    px = 360 / 2 ** z / 256
    # a public grid node (the published point is snapped to it) 4.2-7.9 px west of the east edge
    lon = next(k * g for k in range(math.floor(east / g), 0, -1) if 4.2 * px < east - k * g < 7.9 * px)
    lat = round(lat / g) * g
    report_submit(report_id=uuid.uuid4(), category_code="flood", lon=lon, lat=lat,
                  description="Banjir dekat tepi petak", photo_optional=True)
    browser.get(live_server.url + "/peta/")
    wait_overlays_drawn(browser)
    browser.execute_script("KR.map.setView([arguments[0], arguments[1]], arguments[2], {animate: false});",
                           lat, lon, z)
    paths = [f"/tiles/reports/{z}/{x}/{y}.mvt", f"/tiles/reports/{z}/{x + 1}/{y}.mvt"]
    wait(browser, lambda d: all(any(p in name for name in d.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });")) for p in paths))
    xs = []
    for path in paths:
        with urllib.request.urlopen(live_server.url + path) as response:
            features = mapbox_vector_tile.decode(response.read()).get("reports", {}).get("features", [])
        assert len(features) == 1, (path, features)
        xs.append(features[0]["geometry"]["coordinates"][0])
    assert 4096 - 128 < xs[0] < 4096 - 64 and -128 < xs[1] < -64, xs
    screenshot(browser, "flow-peta-tile-edge")
