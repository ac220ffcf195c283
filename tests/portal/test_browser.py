"""The portal in a real browser (headless Chromium), against a live server
with the real Kubu Raya boundaries."""
import pytest
from django.urls import Resolver404, resolve
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import console_errors, screenshot, wait_boundaries_precise, wait_overlays_drawn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tiles_routed() -> bool:
    try:
        resolve("/tiles/reports/0/0/0.mvt")
    except Resolver404:
        return False
    return True


def _unexpected(errors):
    # While the tiles app has not landed, its URLs answer 404; everything
    # else must load cleanly.
    if _tiles_routed():
        return errors
    return [e for e in errors if "/tiles/" not in e["message"]]


def test_map_page_draws_boundaries_and_layer_switcher_without_console_errors(browser, live_server, kubu_raya):
    browser.get(live_server.url + "/peta/")
    wait_boundaries_precise(browser)
    desa_paths = browser.execute_script(
        "var n = 0; window.KR.map.eachLayer(function (l) { if (l.feature && l.feature.properties.level === 'desa') n++; });"
        "return n;")
    assert desa_paths == 117
    labels = [e.get_attribute("textContent").strip()
              for e in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")]
    assert {"Batas desa", "Batas kecamatan", "Laporan publik", "UMKM",
            "Laporan agregat (P1) per desa"} <= set(labels)
    assert "Legenda" in browser.find_element(By.CSS_SELECTOR, ".legend").text
    screenshot(browser, "peta")
    assert _unexpected(console_errors(browser)) == []


def test_map_overlays_draw_when_the_basemap_is_unreachable(browser, live_server, kubu_raya, settings):
    settings.PORTAL_BASEMAP_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    browser.get(live_server.url + "/peta/")
    wait_boundaries_precise(browser)
    assert browser.execute_script("return document.querySelectorAll('path.leaflet-interactive').length") >= 117
    screenshot(browser, "peta-offline")


def test_map_draws_coarse_boundary_lines_first_then_the_precise_boundaries(browser, live_server, kubu_raya):
    """Issue 19: /peta/ has drawn once the coarse lines (?kasar=1, preloaded)
    and the reports are drawn; the precise GeoJSON is fetched only after that
    (it does not share the weak link with what draws first) and replaces the
    lines inside the same layers: one desa and one kecamatan layer each."""
    browser.get(live_server.url + "/peta/")
    wait_overlays_drawn(browser)
    drawn_at = browser.execute_script("return window.KR.drawnAt")
    wait_boundaries_precise(browser)
    starts = dict(browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) {"
        " return [e.name.replace(location.origin, ''), e.startTime]; })"))
    for level in ("desa", "kecamatan"):
        assert f"/peta/wilayah/{level}.garis.json?kasar=1" in starts, starts
        assert starts[f"/peta/wilayah/{level}.geojson"] >= drawn_at - 1
    counts = browser.execute_script(
        "var n = {lines: 0, desa: 0, kecamatan: 0}; window.KR.map.eachLayer(function (l) {"
        " if (l.feature) n[l.feature.properties.level] += 1;"
        " else if (l instanceof L.Polyline && l.options.renderer) n.lines += 1; }); return n;")
    assert counts == {"lines": 0, "desa": 117, "kecamatan": 9}, counts
    assert browser.execute_script("return document.documentElement.dataset.overlays") == "drawn"
    assert _unexpected(console_errors(browser)) == []


def test_map_search_finds_a_desa_and_zooms_to_it(browser, live_server, kubu_raya):
    browser.get(live_server.url + "/peta/")
    wait_overlays_drawn(browser)
    box = browser.find_element(By.ID, "map-search-q")
    box.send_keys("Kuala Dua\n")
    button = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#search-results button:not([disabled])"))
    assert "Kuala Dua" in button.text
    button.click()
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.KR.map.getZoom()") >= 11)
    center = browser.execute_script("var c = window.KR.map.getCenter(); return [c.lat, c.lng];")
    assert -0.2 < center[0] < 0.0 and 109.3 < center[1] < 109.5


@pytest.mark.parametrize("path", ["/", "/peta/", "/lapor/", "/dasbor/", "/lacak/", "/informasi/", "/laporan-saya/",
                                  "/warga/masuk/"])
def test_pages_fit_a_360_px_phone_screen(browser, live_server, kubu_raya, path):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True})
    browser.get(live_server.url + path)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    if path in ("/peta/", "/lapor/"):
        wait_overlays_drawn(browser)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"{path} scrolls sideways at 360 px ({width} px)"
    nav = browser.find_element(By.CSS_SELECTOR, "header nav, body > nav")  # /informasi/ has the PPID's own
    assert nav.is_displayed()
    # chart labels legible: no SVG text rendered below 9 CSS px
    sizes = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('svg.chart text'),"
        " function (t) { return t.getBoundingClientRect().height; });")
    assert not sizes or min(sizes) >= 9, f"{path}: chart labels {min(sizes):.1f} px high"
    screenshot(browser, "360" + (path.strip("/").replace("/", "-") or "-home"))


def test_language_switch_shows_english(browser, live_server, kubu_raya):
    browser.get(live_server.url + "/")
    assert browser.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "id"
    select = browser.find_element(By.ID, "lang-select")
    select.find_element(By.CSS_SELECTOR, "option[value=en]").click()
    browser.find_element(By.CSS_SELECTOR, "form.lang button").click()
    # Read the language from the document at each poll: an element found on
    # the old page goes stale when the new one replaces it mid-read.
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.documentElement.lang") == "en")
    assert "Report" in browser.find_element(By.CSS_SELECTOR, "header nav").text


def test_report_form_shows_errors_beside_fields_in_bahasa_indonesia(browser, live_server, kubu_raya):
    browser.get(live_server.url + "/lapor/")
    wait_overlays_drawn(browser)
    browser.find_element(By.ID, "submit").click()
    category_error = browser.find_element(By.ID, "category-error")
    assert category_error.is_displayed() and "Pilih kategori" in category_error.text
    assert "lokasi" in browser.find_element(By.ID, "location-error").text.lower()
    assert "uraian" in browser.find_element(By.ID, "description-error").text.lower()
    focused = browser.switch_to.active_element.get_attribute("id")
    assert focused == "category"
    screenshot(browser, "lapor-errors")


def test_report_form_draws_coarse_outlines_first_then_the_precise_ones_with_names(browser, live_server, kubu_raya):
    """Issue 19: /lapor/ is usable once the coarse outlines (?kasar=1, a third
    of the bytes) are drawn; the precise lines and the desa names follow and
    replace them, so zooming in shows the exact boundaries and the names."""
    browser.get(live_server.url + "/lapor/")
    wait_overlays_drawn(browser)
    names = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert any(n.endswith("/peta/wilayah/desa.garis.json?kasar=1") for n in names), names
    mini_map = browser.find_element(By.ID, "lapor-map")
    WebDriverWait(browser, 20).until(lambda d: mini_map.get_attribute("data-outlines-precision") == "4")
    assert int(mini_map.get_attribute("data-outlines")) >= 117
    browser.execute_script("KR.map.setView([-0.0715, 109.3724], 13, {animate: false});")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lapor-map .desa-label"))
    assert [e for e in console_errors(browser) if "basemap" not in e["message"]] == []
