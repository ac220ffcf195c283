"""Issue 18, item 8: a MapLibre GL page served from another origin (a second
local HTTP server on another port) reads TileJSON and vector tiles, an OGC
API items page as a GeoJSON source, and Open311 (a fetch that needs a CORS
preflight included) in headless Chromium, with no console errors."""
import functools
import http.server
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.portal.conftest import CHROMIUM_FLAGS

pytestmark = pytest.mark.django_db(transaction=True)

MAPLIBRE = Path(settings.BASE_DIR) / "portal" / "static" / "portal" / "vendor" / "maplibre"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="maplibre-gl.css">
<script src="maplibre-gl.js"></script></head>
<body><div id="map" style="width:800px;height:600px"></div>
<script>
const API = "%(api)s";
window.results = {};
window.failures = [];
const map = new maplibregl.Map({container: "map", center: [109.4, -0.2], zoom: 9, style: {
  version: 8,
  sources: {
    desa: {type: "vector", url: API + "/tiles/desa.json"},
    kecamatan: {type: "geojson", data: API + "/ogc/collections/kecamatan/items?limit=100"}
  },
  layers: [
    {id: "desa-fill", type: "fill", source: "desa", "source-layer": "desa",
     paint: {"fill-color": "#088", "fill-opacity": 0.3}},
    {id: "kecamatan-line", type: "line", source: "kecamatan", paint: {"line-color": "#c00"}}
  ]}});
map.on("error", e => window.failures.push("map: " + (e.error && e.error.message || e)));
map.on("idle", () => {
  window.results.tiles = map.querySourceFeatures("desa", {sourceLayer: "desa"}).length;
  window.results.geojson = map.querySourceFeatures("kecamatan").length;
  window.results.attribution = document.querySelector(".maplibregl-ctrl-attrib-inner").textContent;
});
fetch(API + "/open311/v2/services.json").then(r => r.json())
  .then(j => { window.results.open311 = j.length; })
  .catch(e => window.failures.push("open311: " + e));
// A non-safelisted request header: the browser sends a preflight OPTIONS first.
fetch(API + "/ogc/collections/kecamatan/items?limit=2", {headers: {"Content-Type": "application/json"}})
  .then(r => r.json()).then(j => { window.results.items = j.features.length; })
  .catch(e => window.failures.push("items: " + e));
</script></body></html>
"""


@pytest.fixture
def other_origin(live_server):
    if not (MAPLIBRE / "maplibre-gl.js").exists():
        pytest.fail("maplibre-gl missing: run `make portal-assets` (scripts/vendor_maplibre.sh)")
    root = Path(tempfile.mkdtemp(prefix="kr-maplibre-"))
    for name in ("maplibre-gl.js", "maplibre-gl.css"):
        shutil.copy(MAPLIBRE / name, root / name)
    (root / "index.html").write_text(PAGE % {"api": live_server.url})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # live_server answers on "localhost": 127.0.0.1 on another port is another origin.
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def webgl_chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS:
        if flag != "--disable-gpu":
            options.add_argument(flag)
    # WebGL in headless Chromium without a GPU: SwiftShader.
    for flag in ("--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="kr-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_maplibre_on_another_origin_reads_everything(kubu_raya, taxonomy, other_origin, webgl_chromium):
    webgl_chromium.get(other_origin)
    deadline = time.monotonic() + 90
    results = {}
    while time.monotonic() < deadline:
        results = webgl_chromium.execute_script("return window.results") or {}
        failures = webgl_chromium.execute_script("return window.failures")
        assert not failures, failures
        if results.get("tiles") and results.get("geojson") and "open311" in results and "items" in results:
            break
        time.sleep(0.5)
    assert results.get("tiles", 0) > 0 and results.get("geojson", 0) >= 9, results
    assert results["open311"] > 0 and results["items"] == 2
    errors = [e for e in webgl_chromium.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
