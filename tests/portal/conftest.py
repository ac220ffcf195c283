"""Browser fixtures: headless Chromium (Debian's `chromium` + `chromium-driver`,
installed by scripts/browser_deps.sh) driven by Selenium against
pytest-django's live_server. Screenshots go to artifacts/screenshots/."""
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,900"]


def chromium_driver(*, user_data_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("chromium/chromedriver missing: run `make test` (scripts/browser_deps.sh installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    # A resident's phone in Kubu Raya asks for Bahasa Indonesia.
    options.add_argument("--lang=id-ID")
    options.add_experimental_option("prefs", {"intl.accept_languages": "id-ID,id"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))


@pytest.fixture(scope="session")
def _chromium():
    profile = tempfile.mkdtemp(prefix="kr-chromium-")
    driver = chromium_driver(user_data_dir=profile)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(_chromium, settings):
    """A fresh page in the shared Chromium; no basemap (tests run offline)."""
    settings.PORTAL_BASEMAP_URL = ""
    _chromium.delete_all_cookies()
    _chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _chromium.get_log("browser")
    yield _chromium


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# Chromium (156) may answer a probe of an element of a page being replaced,
# mid-navigation, with this inspector error instead of a stale element.
NODE_GONE = "does not belong to the document"


def wait(driver, condition, timeout: float = 30):
    """WebDriverWait(...).until(condition) for a page that may be replaced while
    polled: a missing element, a stale one, or Chromium's NODE_GONE error polls
    again rather than failing (the condition decides what "done" is, e.g.
    EC.staleness_of for a page replaced by a form's submission)."""
    from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                            WebDriverException)
    from selenium.webdriver.support.ui import WebDriverWait

    def probe(d):
        try:
            return condition(d)
        except (NoSuchElementException, StaleElementReferenceException):
            raise
        except WebDriverException as exc:
            if NODE_GONE in (exc.msg or ""):
                return False
            raise

    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException,
                                                              StaleElementReferenceException)).until(probe)


def wait_overlays_drawn(driver, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.dataset.overlays") == "drawn")


def wait_boundaries_precise(driver, timeout: float = 20):
    """/peta/ draws coarse boundary lines first; the precise GeoJSON (names,
    the choropleth's shapes) replaces them after the map has drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait_overlays_drawn(driver, timeout)
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.dataset.boundaries") == "precise")


def open_fresh(driver, url: str):
    """Open `url` with this origin's localStorage and IndexedDB emptied (the
    report form keeps a draft on the phone; tests start without one)."""
    driver.get(url)
    driver.execute_async_script(
        "var done = arguments[arguments.length - 1]; localStorage.clear(); sessionStorage.clear();"
        "var r = indexedDB.deleteDatabase('kr-lapor'); r.onsuccess = r.onerror = r.onblocked = function () { done(); };")
    driver.get(url)
