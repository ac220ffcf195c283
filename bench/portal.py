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

    client = Client(HTTP_HOST="127.0.0.1")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get("/dasbor/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    dasbor_ms = statistics.median(timings)
    print(f"/dasbor/ server time: median {dasbor_ms:.0f} ms (first {timings[0]:.0f} ms), "
          f"{len(response.content) / 1024:.0f} KiB; target 500 ms, ratio {dasbor_ms / 500:.2f}")

    call_command("collectstatic", interactive=False, verbosity=0)
    port = free_port()
    env = {**os.environ, "PORTAL_BASEMAP_URL": "", "DEBUG": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        peta = measure_peta(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"/peta/: {peta['bytes'] / 1024:.0f} KiB of own responses in {peta['requests']} requests; "
          f"target 2048 KiB, ratio {peta['bytes'] / 2048 / 1024:.2f}")
    print(f"/peta/: overlays drawn {peta['drawn_ms']:.0f} ms after navigation start; "
          f"target 3000 ms, ratio {peta['drawn_ms'] / 3000:.2f}")


if __name__ == "__main__":
    main()
