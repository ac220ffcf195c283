"""Portal benchmark (issue 7): with 1,000,000 reports,
- /peta/ in headless Chromium on loopback: bytes of the project's own
  responses (HTML, JS, CSS, GeoJSON, tiles; the basemap is switched off) and
  time from navigation start until every overlay has drawn
  (<html data-overlays="drawn">), cold cache;
- /dasbor/ server time (Django test client, median of 5 runs).
Targets: /peta/ < 2 MB and < 3 s; /dasbor/ < 500 ms.

Usage: .venv/bin/python bench/portal.py [--reports 1000000]

Throttled phone profile (issue 19), `--throttled`: against the database as it is
(`make demo-data`), gunicorn with the local settings (the demo's), Chromium at
360x740 with CDP network emulation (400 kbps down, 256 kbps up, 400 ms RTT) and
CPU 4x slower:
- /lapor/ usable: navigation start until the categories are in the list and the
  boundaries drawn (<html data-overlays="drawn">); target 3 s;
- /peta/: navigation start until boundaries (the coarse lines, ?kasar=1) and
  reports are drawn; target 5 s; when the precise GeoJSON has replaced the lines
  is printed too;
- a phone photo (4000x3000 JPEG, about 3.5 MB) chosen on /lapor/ until the
  tracking code is shown (downscaled on the phone, then uploaded at 256 kbps);
  target 15 s.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_peta(base_url: str) -> dict:
    import importlib.util

    # The same Chromium set-up as the browser tests (tests/portal/conftest.py).
    spec = importlib.util.spec_from_file_location("portal_browser", ROOT / "tests" / "portal" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    chromium_driver = module.chromium_driver
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="kr-bench-")
    driver = chromium_driver(user_data_dir=profile)
    try:
        driver.get(base_url + "/peta/")
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.documentElement.dataset.overlays") == "drawn")
        drawn_ms = driver.execute_script("return window.KR.drawnAt")
        entries = driver.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".map(function (e) { return [e.name, e.transferSize || e.encodedBodySize || 0]; });")
        own = [(name, size) for name, size in entries if name.startswith(base_url)]
        return {"bytes": sum(size for _n, size in own), "requests": len(own), "drawn_ms": drawn_ms}
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


THROTTLED = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8,
             "uploadThroughput": 256_000 / 8}


def _phone_driver():
    import importlib.util

    spec = importlib.util.spec_from_file_location("portal_browser", ROOT / "tests" / "portal" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    profile = tempfile.mkdtemp(prefix="kr-bench-phone-")
    driver = module.chromium_driver(user_data_dir=profile)
    driver.set_page_load_timeout(120)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    # The service worker fetches outside DevTools' network emulation: with it
    # answering, a second page (and the photo upload) would not be throttled.
    driver.execute_cdp_cmd("Network.setBypassServiceWorker", {"bypass": True})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", THROTTLED)
    driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 4})
    return driver, profile


def _phone_photo(path: Path) -> int:
    """A 4000x3000 JPEG that weighs like a phone photo (about 3.5 MB)."""
    from PIL import Image, ImageFilter

    # blurred noise: harder to compress than a real scene (a worst case for the byte budget)
    noise = Image.effect_noise((800, 600), 90).resize((4000, 3000), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(Image.FLIP_LEFT_RIGHT))).save(
        path, format="JPEG", quality=92)
    return path.stat().st_size


def throttled(base_url: str) -> dict:
    """The three targets of issue 19 on the throttled phone profile (cold cache each)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from geo.selectors import desa_centroids

    out = {}
    driver, profile = _phone_driver()
    try:
        driver.get(base_url + "/lapor/")
        WebDriverWait(driver, 120).until(
            lambda d: d.execute_script("return document.documentElement.dataset.overlays") == "drawn")
        # the list is in the HTML: parsed (and painted) when the parser passes it
        out["lapor_categories_ms"] = driver.execute_script("return window.KR_categoriesAt")
        out["lapor_categories"] = driver.execute_script("return document.querySelectorAll('#category option').length") - 1
        out["lapor_usable_ms"] = max(out["lapor_categories_ms"], driver.execute_script("return window.KR.drawnAt"))
        out["lapor_bytes"] = driver.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce(function (n, e) { return n + (e.transferSize || 0); }, 0)")

        names = driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        out["lapor_requests"] = len(names)
        out["lapor_duplicates"] = sorted({n for n in names if names.count(n) > 1})
        out["lapor_waterfall"] = driver.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".map(function (e) { return [e.name.replace(location.origin, ''), Math.round(e.startTime),"
            " Math.round(e.responseStart), Math.round(e.responseEnd), e.transferSize || 0]; })")

        driver.get(base_url + "/peta/")
        WebDriverWait(driver, 120).until(
            lambda d: d.execute_script("return document.documentElement.dataset.overlays") == "drawn")
        out["peta_drawn_ms"] = driver.execute_script("return window.KR.drawnAt")
        out["peta_bytes"] = driver.execute_script(  # until drawn
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce(function (n, e) { return n + (e.transferSize || 0); }, 0)")
        # the coarse lines drawn first are replaced by the precise GeoJSON afterwards: when, for the record
        WebDriverWait(driver, 120).until(
            lambda d: d.execute_script("return document.documentElement.dataset.boundaries") in ("precise", "failed"))
        out["peta_precise_ms"] = driver.execute_script("return window.KR.preciseAt || null")
        out["peta_waterfall"] = driver.execute_script(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".map(function (e) { return [e.name.replace(location.origin, ''), Math.round(e.startTime),"
            " Math.round(e.responseStart), Math.round(e.responseEnd), e.transferSize || 0]; })")

        # the photo: chosen on the form, downscaled on the (slowed) phone, sent at 256 kbps
        photo = Path(profile) / "IMG_4000x3000.jpg"
        out["photo_bytes"] = _phone_photo(photo)
        code, lon, lat = next(iter(desa_centroids()))
        driver.get(base_url + "/lapor/")
        WebDriverWait(driver, 120).until(
            lambda d: d.find_element(By.ID, "lapor-form").get_attribute("data-ready") == "1")
        Select(driver.find_element(By.ID, "category")).select_by_value("road-damage")
        driver.execute_script("KR.map.setView([arguments[0], arguments[1]], 16, {animate: false});"
                              "KR.map.fire('click', {latlng: L.latLng(arguments[0], arguments[1])});", lat, lon)
        driver.find_element(By.ID, "description").send_keys("Jalan berlubang (benchmark foto).")
        started = time.perf_counter()
        driver.find_element(By.ID, "photo").send_keys(str(photo))
        WebDriverWait(driver, 120).until(
            lambda d: d.find_element(By.ID, "photo-previews").get_attribute("data-count") == "1")
        out["photo_downscale_ms"] = (time.perf_counter() - started) * 1000
        sent = time.perf_counter()
        driver.find_element(By.ID, "submit").click()
        WebDriverWait(driver, 180).until(EC.visibility_of_element_located((By.ID, "tracking-code")))
        out["photo_upload_ms"] = (time.perf_counter() - sent) * 1000
        out["photo_total_ms"] = (time.perf_counter() - started) * 1000
        from reports.models import Report, ReportPhoto

        tracking = driver.find_element(By.ID, "tracking-code").text.strip()
        uploaded = ReportPhoto.objects.filter(report__tracking_code=tracking).first()
        out["photo_uploaded_bytes"] = uploaded.size_bytes if uploaded else None
        out["photo_uploaded_px"] = (uploaded.width, uploaded.height) if uploaded else None
        Report.objects.filter(tracking_code=tracking).delete()  # the benchmark's report does not stay
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return out


def _stop(server: subprocess.Popen) -> None:
    """Stop gunicorn: gracefully, and for good if a loaded machine keeps it
    busy past a minute (the figures are taken already)."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def main_throttled():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    load_start = os.getloadavg()[0]
    port = free_port()
    env = {**os.environ, "PORTAL_BASEMAP_URL": "", "DEBUG": "false", "THROTTLE_REPORT_SUBMIT": "1000/hour"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "config.wsgi:application"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import http.client

        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        # A running server has rendered the pages and built the boundary texts
        # of the edition before (portal.selectors keeps them per edition:
        # 0.4-0.75 s of PostGIS each on this machine): done here a few times
        # (both workers), as after any earlier visitor. The phone's own cache
        # stays cold.
        for _ in range(4):
            for path in ("/lapor/", "/peta/", "/peta/wilayah/desa.garis.json?kasar=1", "/peta/wilayah/desa.garis.json",
                         "/peta/wilayah/desa.geojson", "/peta/wilayah/kecamatan.geojson"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                # as a browser asks (the boundary files are compressed once per coding and kept)
                conn.request("GET", path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
                conn.getresponse().read()
                conn.close()
        r = throttled(f"http://127.0.0.1:{port}")
    finally:
        _stop(server)
    print(f"load average at the end {os.getloadavg()[0]:.1f} (at the start {load_start:.1f})")
    print("profile: Chromium 360x740, 400 kbps down / 256 kbps up / 400 ms RTT (CDP), CPU 4x slower, cold cache")
    print(f"/lapor/: {r['lapor_requests']} subresources; fetched twice: {r['lapor_duplicates'] or 'none'}")
    for name, start, first_byte, end, size in r["lapor_waterfall"]:
        print(f"  {name[:60]:60} start {start:5d}  first byte {first_byte:5d}  end {end:5d} ms  {size / 1024:5.1f} KiB")
    print(f"/lapor/ usable (categories {r['lapor_categories']} in the list at {r['lapor_categories_ms']:.0f} ms, "
          f"boundaries drawn): {r['lapor_usable_ms']:.0f} ms, {r['lapor_bytes'] / 1024:.0f} KiB transferred; "
          f"target 3000 ms, ratio {r['lapor_usable_ms'] / 3000:.2f}")
    for name, start, first_byte, end, size in r["peta_waterfall"]:
        print(f"  {name[:60]:60} start {start:5d}  first byte {first_byte:5d}  end {end:5d} ms  {size / 1024:5.1f} KiB")
    print(f"/peta/ boundaries and reports drawn: {r['peta_drawn_ms']:.0f} ms, {r['peta_bytes'] / 1024:.0f} KiB "
          f"transferred; target 5000 ms, ratio {r['peta_drawn_ms'] / 5000:.2f}")
    print(f"/peta/ precise boundaries (GeoJSON, fetched after drawing) and the choropleth's shapes in place: "
          f"{r['peta_precise_ms'] or 0:.0f} ms")
    print(f"photo {r['photo_bytes'] / 1e6:.2f} MB 4000x3000: downscaled on the phone in {r['photo_downscale_ms']:.0f} ms, "
          f"stored (re-encoded by the server) as {r['photo_uploaded_bytes'] / 1024:.0f} KiB {r['photo_uploaded_px'][0]}x{r['photo_uploaded_px'][1]}, upload"
          f" in {r['photo_upload_ms']:.0f} ms; chosen -> tracking code {r['photo_total_ms']:.0f} ms; "
          f"target 15000 ms, ratio {r['photo_total_ms'] / 15000:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--throttled", action="store_true",
                        help="only the throttled phone profile of issue 19, on the database as it is")
    args = parser.parse_args()
    if args.throttled:
        main_throttled()
        return

    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.test import Client

    if "reports_generate_synthetic" in get_commands():
        started = time.perf_counter()
        call_command("reports_generate_synthetic", target=args.reports)
        print(f"reports: topped up to {args.reports:,} in {time.perf_counter() - started:.0f} s")
    else:
        print("reports: reports_generate_synthetic not available; measuring without reports")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('reports_report') IS NOT NULL")
        has_reports = cursor.fetchone()[0]
        count = 0
        if has_reports:
            cursor.execute("SELECT count(*) FROM reports_report")
            count = cursor.fetchone()[0]
    print(f"reports in database: {count:,}")

    # The figures are computed ahead (portal.services, beat every
    # PORTAL_FIGURES_MAX_AGE_SECONDS): time that job, then the pages reading it.
    from portal import services

    started = time.perf_counter()
    snapshot = services.dashboard_snapshot_refresh(wait=True)
    print(f"dashboard figures refresh (off the request path): {(time.perf_counter() - started) * 1000:.0f} ms "
          f"(computing {snapshot.duration_ms} ms)")
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/dasbor/")  # warm-up: imports, template compilation
    for path, target in (("/dasbor/", 500), ("/peta/jumlah.json", None), ("/api/v1/reports/counts/?group_by=desa", None)):
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        median = statistics.median(timings)
        print(f"{path} server time: median {median:.0f} ms (max {max(timings):.0f} ms), "
              f"{len(response.content) / 1024:.0f} KiB" + (f"; target {target} ms, ratio {median / target:.2f}"
                                                         if target else ""))

    call_command("collectstatic", interactive=False, verbosity=0)
    port = free_port()
    # An empty server-side tile cache too: every tile of the page is rendered.
    tile_cache = tempfile.mkdtemp(prefix="kr-bench-tiles-")
    env = {**os.environ, "PORTAL_BASEMAP_URL": "", "DEBUG": "false", "TILES_CACHE_DIR": tile_cache}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # gunicorn accepts connections before its workers have booted: wait
        # until /healthz answers, a few times (both workers), as a deployed
        # server would be. Nothing the page reads is fetched here.
        import http.client

        answered = 0
        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                answered += conn.getresponse().status == 200
                conn.close()
                if answered >= 4:
                    break
            except OSError:
                time.sleep(0.1)
        peta = measure_peta(f"http://127.0.0.1:{port}")
    finally:
        _stop(server)
        shutil.rmtree(tile_cache, ignore_errors=True)
    print(f"/peta/: {peta['bytes'] / 1024:.0f} KiB of own responses in {peta['requests']} requests; "
          f"target 2048 KiB, ratio {peta['bytes'] / 2048 / 1024:.2f}")
    print(f"/peta/: overlays drawn {peta['drawn_ms']:.0f} ms after navigation start; "
          f"target 3000 ms, ratio {peta['drawn_ms'] / 3000:.2f}")


if __name__ == "__main__":
    main()
