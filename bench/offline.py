"""Benchmark of issue 22: a crew's offline package and the sync of its queued
actions, over loopback HTTP (gunicorn with deploy/gunicorn.conf.py).

    KR_DB_NAME=... .venv/bin/python bench/offline.py [--reports 1000000] [--agency pkm-sungai-durian] [--actions 200]

1. Tops the database up to --reports synthetic reports (the project's own
   generator) and makes a field-crew account of --agency.
2. Package: GET /api/v1/offline/package/ five times; prints server time,
   bytes as sent (gzip when the server compresses) and as JSON, the number of
   reports and desa, and the estimate the phone is shown against the 30 MB
   budget.
3. Basemap: every vector tile the package plans from the project's own
   source (desa and kecamatan boundaries, /tiles/...mvt, z10-z14), fetched
   over HTTP as the phone does (gzip on the wire): count, bytes kept on the
   phone and sent, time, against the estimate the phone was told.
4. Sync: --actions queued actions (notes and status changes on the crew's
   open reports) in one POST; prints the time, the request's bytes and the
   time those bytes take at 256 kbit/s up (a weak rural link) plus the server
   time; then the same batch again: every action must come back "repeated"
   and nothing may change (checked: events and statuses before and after).
"""
import argparse
import gzip
import http.client
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import membership_grant, user_create  # noqa: E402
from bench._common import http_server, machine  # noqa: E402
from geo.models import Agency  # noqa: E402
from reports.models import Report, ReportEvent  # noqa: E402

UPLINK_BPS = 256_000
CSRF = uuid.uuid4().hex


def crew(agency_code: str):
    from django.contrib.auth import get_user_model

    username = f"bench_kru_{agency_code}"
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = user_create(username=username, password="bench-only-password-123", email=f"{username}@example.org")
        membership_grant(user=user, role=Role.FIELD_CREW, agency=Agency.objects.get(code=agency_code))
    return user


def session_cookie(user) -> str:
    from django.conf import settings

    client = Client()
    client.force_login(user)
    # The page sends the CSRF cookie's value in X-CSRFToken; so does the bench.
    return (f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
            f"{settings.CSRF_COOKIE_NAME}={CSRF}")


def request(base, method, path, cookie, body=None, headers=None):
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    all_headers = {"Cookie": cookie, **(headers or {})}
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - t0
    encoding = response.getheader("Content-Encoding")
    conn.close()
    return response.status, data, elapsed, encoding


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--agency", default="pkm-sungai-durian")
    parser.add_argument("--actions", type=int, default=200)
    args = parser.parse_args()
    have = Report.objects.filter(is_synthetic=True).count()
    if have < args.reports:
        call_command("reports_seed_categories", verbosity=0)
        call_command("reports_generate_synthetic", target=args.reports, verbosity=0)
    user = crew(args.agency)
    cookie = session_cookie(user)
    print(f"# bench/offline.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; "
          f"load average {os.getloadavg()[0]:.1f}; {Report.objects.count():,} reports; crew of {args.agency}")
    with http_server(workers=2) as base:
        times, sent = [], 0
        for _ in range(5):
            status, data, elapsed, encoding = request(base, "GET", "/api/v1/offline/package/", cookie,
                                                      headers={"Accept-Encoding": "gzip"})
            assert status == 200, (status, data[:300])
            times.append(elapsed * 1000)
            sent = len(data)
            package = json.loads(gzip.decompress(data) if encoding == "gzip" else data)
        raw = len(json.dumps(package).encode())
        print(f"package: {len(package['reports'])} open reports, {len(package['desa']['features'])} desa, "
              f"{package['basemap']['tiles']} basemap tiles (zooms {[z['z'] for z in package['basemap']['zooms']]}); "
              f"server p50 {statistics.median(times):.0f} ms (max {max(times):.0f} ms); "
              f"JSON {raw / 1024:,.0f} KiB, sent {sent / 1024:,.0f} KiB ({encoding or 'identity'}); "
              f"phone told {package['estimated_bytes'] / 2**20:.1f} MB of {package['budget_bytes'] / 2**20:.0f} MB "
              f"with photos and basemap")
        tiles, kept, wire, t0 = 0, 0, 0, time.perf_counter()
        for source in package["basemap"]["sources"]:
            if not source["template"].startswith("/"):
                continue   # an outside OpenMapTiles source: not this server's to time
            for z in package["basemap"]["zooms"]:
                for x in range(z["x"][0], z["x"][1] + 1):
                    for y in range(z["y"][0], z["y"][1] + 1):
                        path = source["template"].format(z=z["z"], x=x, y=y)
                        status, data, _, encoding = request(base, "GET", path, cookie,
                                                            headers={"Accept-Encoding": "gzip"})
                        assert status in (200, 204), (status, path)
                        tiles += 1
                        wire += len(data)
                        kept += len(gzip.decompress(data) if encoding == "gzip" else data)
        elapsed = time.perf_counter() - t0
        estimate = sum(z["tiles"] for z in package["basemap"]["zooms"]) * package["basemap"]["sources"][0]["tile_bytes"]
        print(f"basemap (own vector tiles): {tiles} tiles in {elapsed:.1f} s; kept on the phone "
              f"{kept / 2**20:.2f} MB ({kept / max(tiles, 1):,.0f} B a tile), sent {wire / 2**20:.2f} MB "
              f"= {wire * 8 / UPLINK_BPS:.0f} s at 256 kbit/s; estimate told {estimate / 2**20:.2f} MB")
        reports = [r for r in package["reports"] if r["next"]][: args.actions]
        actions = []
        for i in range(args.actions):
            r = reports[i % len(reports)] if reports else package["reports"][i % len(package["reports"])]
            to = r["next"][0] if r["next"] and i < len(reports) else None
            actions.append({"client_id": str(uuid.uuid4()), "report_id": r["id"],
                            "kind": "transition" if to else "note", "to": to,
                            "note": f"Catatan lapangan {i}: dicek dari perahu", "from_status": r["status"],
                            "taken_at": f"2026-12-07T0{i // 100}:{(i // 10) % 6}{i % 10}:00Z"})
        ids = [a["report_id"] for a in actions]
        body = json.dumps({"actions": actions}).encode()
        status, data, elapsed, _ = request(base, "POST", "/api/v1/offline/actions/", cookie, body,
                                           {"Content-Type": "application/json", "X-CSRFToken": CSRF})
        assert status == 200, (status, data[:500])
        results = json.loads(data)["results"]
        outcomes = {o: sum(1 for r in results if r["outcome"] == o) for o in ("applied", "refused", "error")}
        upload_s = len(body) * 8 / UPLINK_BPS
        print(f"sync of {len(actions)} actions: server {elapsed * 1000:,.0f} ms; request {len(body) / 1024:,.0f} KiB "
              f"= {upload_s:.1f} s at 256 kbit/s up; total at 256 kbit/s ~{upload_s + elapsed:.1f} s; {outcomes}")
        before = (ReportEvent.objects.filter(report_id__in=ids).count(),
                  sorted(Report.objects.filter(id__in=ids).values_list("id", "status")))
        status, data, elapsed, _ = request(base, "POST", "/api/v1/offline/actions/", cookie, body,
                                           {"Content-Type": "application/json", "X-CSRFToken": CSRF})
        again = json.loads(data)["results"]
        after = (ReportEvent.objects.filter(report_id__in=ids).count(),
                 sorted(Report.objects.filter(id__in=ids).values_list("id", "status")))
        assert all(r.get("repeated") for r in again if r["outcome"] != "error"), again[:3]
        assert before == after, "a repeated sync changed something"
        print(f"same batch again: {len(again)} repeated, nothing changed; server {elapsed * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
