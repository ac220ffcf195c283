"""Portal benchmark (issue 7): with 1,000,000 reports,
- /peta/ in headless Chromium on loopback: bytes of the project's own
  responses (HTML, JS, CSS, GeoJSON, tiles; the basemap is switched off) and
  time from navigation start until every overlay has drawn
  (<html data-overlays="drawn">), cold cache;
- /dasbor/ server time (Django test client, median of 5 runs).
Targets: /peta/ < 2 MB and < 3 s; /dasbor/ < 500 ms.

Usage: .venv/bin/python bench/portal.py [--reports 1000000]
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    args = parser.parse_args()

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
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tile_cache, ignore_errors=True)
    print(f"/peta/: {peta['bytes'] / 1024:.0f} KiB of own responses in {peta['requests']} requests; "
          f"target 2048 KiB, ratio {peta['bytes'] / 2048 / 1024:.2f}")
    print(f"/peta/: overlays drawn {peta['drawn_ms']:.0f} ms after navigation start; "
          f"target 3000 ms, ratio {peta['drawn_ms'] / 3000:.2f}")


if __name__ == "__main__":
    main()
